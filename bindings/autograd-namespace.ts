// wg.autograd, named as torch.autograd.

import { grad } from "./autograd.js";
import { gradcheck, gradgradcheck, GradcheckError } from "./gradcheck.js";

export const autograd = Object.freeze({ grad, gradcheck, gradgradcheck, GradcheckError });
