// wg.autograd, named as torch.autograd.

import { grad } from "./autograd.js";
import { gradcheck, gradgradcheck, GradcheckError } from "./gradcheck.js";
import { Function, FunctionCtx } from "./custom-function.js";
import * as functional from "./autograd-functional.js";
import * as forward_ad from "./forward-ad.js";

export const autograd = Object.freeze({ grad, gradcheck, gradgradcheck, GradcheckError, Function, FunctionCtx, functional, forward_ad });
