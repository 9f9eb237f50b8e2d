// The fixed area through which the bindings pass shapes, root lists and id lists to the
// core (they write it, then call; a call reads it before it allocates anything).
export const SCRATCH_BYTES: usize = 4096;
export const scratch = heap.alloc(SCRATCH_BYTES);
