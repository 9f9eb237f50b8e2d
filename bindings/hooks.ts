// Tensor hooks (PyTorch's register_hook): functions that see a tensor's gradient during
// backward, before it is used, and may return a replacement. The core's sweep calls back
// into this module (core.setHookRunner) for the tensors flagged as hooked.

import { Tensor } from "./tensor.js";
import { core, setHookRunner, reportHookFailure, keepingScratch } from "./core.js";
import { handleFor, handleOf } from "./lifetime.js";
import { describe, fail, formatShape } from "./shape.js";

export type TensorHook = (grad: Tensor) => Tensor | null | undefined | void;

/** What register_hook returns: remove() unregisters the hook. */
export interface HookHandle {
  remove(): void;
}

declare module "./tensor.js" {
  interface Tensor {
    /**
     * Runs hook(grad) each time a gradient of this tensor is computed, before it is used
     * (accumulated into .grad, or passed back through the graph); a tensor it returns
     * replaces the gradient.
     */
    register_hook(hook: TensorHook): HookHandle;
  }
}

const hooks = new WeakMap<Tensor, TensorHook[]>();

Tensor.prototype.register_hook = function register_hook(this: Tensor, hook: TensorHook): HookHandle {
  const id = this._live("register_hook");
  if (typeof hook !== "function") throw new TypeError(`register_hook(): hook must be a function, got ${describe(hook)}`);
  if (!core.requiresGradOf(id)) fail("register_hook", "cannot register a hook on a tensor that doesn't require gradient");
  let list = hooks.get(this);
  if (list === undefined) hooks.set(this, list = []);
  list.push(hook);
  core.setHooked(id, true);
  const owner = this;
  return {
    remove() {
      const current = hooks.get(owner);
      const i = current?.indexOf(hook) ?? -1;
      if (i < 0) return;
      current!.splice(i, 1);
      if (current!.length === 0 && owner._id !== 0) core.setHooked(owner._id, false);
    },
  };
};

// The engine's call for hooked tensor t with gradient g (hooks may run any op).
setHookRunner((t: number, g: number): number => {
  const owner = handleOf(t);
  const list = owner === undefined ? undefined : hooks.get(owner);
  if (list === undefined || list.length === 0) return 0;
  return keepingScratch(() => {
    try {
      const original = handleFor(g);
      let grad = original;
      for (const hook of list.slice()) {
        const replaced = hook(grad);
        if (replaced === undefined || replaced === null) continue;
        if (!(replaced instanceof Tensor)) throw new TypeError(`register_hook(): a hook returned ${describe(replaced)}, expected a Tensor or nothing`);
        if (replaced.shape.join() !== grad.shape.join()) {
          fail("register_hook", `hook returned a gradient of shape ${formatShape(replaced.shape)}; expected ${formatShape(grad.shape)}`);
        }
        grad = replaced.dtype === grad.dtype ? replaced : replaced.to(grad.dtype);
      }
      if (grad === original) return 0;
      const id = grad._live("register_hook");
      core.retainTensor(id); // the engine's own reference
      return id;
    } catch (error) {
      reportHookFailure(error);
      return -1;
    }
  });
});
