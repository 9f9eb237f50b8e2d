// C[m, n] = op(A)[m, k] · op(B)[k, n] in float32, where op(X) is X or its transpose, read
// straight from row-major storage: the backward of a matmul (G·Bᵀ, Aᵀ·G) never
// materialises a transpose.
//
// The structure is the classic one of BLIS: blocks of B (KC x NC) and A (MC x KC) are
// packed into panels laid out in the order the micro-kernel reads them, so that the
// innermost loop streams both from L1/L2 cache; the micro-kernel keeps a 4 x 8 tile of C
// in eight SIMD registers, and per step of k loads one 8-wide row of the B panel and
// broadcasts four values of the A panel. Edges are zero-padded in the panels and the tile
// goes through a scratch buffer.

const MR = 4;        // rows of the micro-tile
const NR = 8;        // columns of the micro-tile (two f32x4)
const KC = 256;      // depth of a packed block: an A panel (4 KiB) and a B panel (8 KiB) fit L1
const MC = 64;       // rows of a packed A block (64 KiB, L2)
const NC = 1024;     // columns of a packed B block (1 MiB)

const packedA = heap.alloc(<usize>(MC * KC) << 2);
const packedB = heap.alloc(<usize>(KC * NC) << 2);
const edgeTile = heap.alloc(<usize>(MR * NR) << 2);

// Reads the 4 x 4 block of rows src, src + ld, src + 2 ld, src + 3 ld and writes its
// transpose: column j goes to dst + j * stride.
@inline function transpose4(src: usize, ld: usize, dst: usize, stride: usize): void {
  const r0 = v128.load(src), r1 = v128.load(src + ld), r2 = v128.load(src + 2 * ld), r3 = v128.load(src + 3 * ld);
  const t0 = v128.shuffle<f32>(r0, r1, 0, 4, 1, 5), t1 = v128.shuffle<f32>(r2, r3, 0, 4, 1, 5);
  const t2 = v128.shuffle<f32>(r0, r1, 2, 6, 3, 7), t3 = v128.shuffle<f32>(r2, r3, 2, 6, 3, 7);
  v128.store(dst, v128.shuffle<f32>(t0, t1, 0, 1, 4, 5));
  v128.store(dst + stride, v128.shuffle<f32>(t0, t1, 2, 3, 6, 7));
  v128.store(dst + 2 * stride, v128.shuffle<f32>(t2, t3, 0, 1, 4, 5));
  v128.store(dst + 3 * stride, v128.shuffle<f32>(t2, t3, 2, 3, 6, 7));
}

// Packs a block of `lanes` lanes (rows of op(A), or columns of op(B)) by kc steps of k
// into panels of `width` lanes, each stored [kc][width], the last one zero-padded. The
// value of lane l at step p is at src + (l * laneStride + p * stepStride) floats: one of
// the strides is 1 for the layouts gemm packs, and each gets a SIMD path.
// @inline: width is a constant at both call sites.
@inline function pack(dst: usize, src: usize, width: i32, lanes: i32, kc: i32, laneStride: i32, stepStride: i32): void {
  for (let l0 = 0; l0 < lanes; l0 += width) {
    const used = min(width, lanes - l0);
    const panel = src + (<usize>(l0 * laneStride) << 2);
    let p = 0;
    if (used == width && laneStride == 1) { // a step's values are contiguous
      for (; p < kc; p++) {
        const from = panel + (<usize>(p * stepStride) << 2), to = dst + (<usize>(p * width) << 2);
        for (let v = 0; v < width; v += 4) v128.store(to + (<usize>v << 2), v128.load(from + (<usize>v << 2)));
      }
    } else if (used == width && stepStride == 1) { // a lane's steps are contiguous: transpose 4 x 4 blocks
      for (; p + 4 <= kc; p += 4) {
        for (let v = 0; v < width; v += 4) {
          transpose4(panel + (<usize>(v * laneStride + p) << 2), <usize>laneStride << 2,
            dst + (<usize>(p * width + v) << 2), <usize>width << 2);
        }
      }
    }
    for (; p < kc; p++) {
      for (let l = 0; l < width; l++) {
        const v: f32 = l < used ? load<f32>(panel + (<usize>(l * laneStride + p * stepStride) << 2)) : 0;
        store<f32>(dst + (<usize>(p * width + l) << 2), v);
      }
    }
    dst += <usize>(kc * width) << 2;
  }
}

// c[0..MR)[0..NR) (+)= panel a (kc x MR) · panel b (kc x NR); ldc is C's row stride in
// bytes. The first block of k stores, the later ones add, so C needs no clearing first.
// @inline: eight accumulators live in registers only if nothing crosses a call.
@inline function microKernel(kc: i32, a: usize, b: usize, c: usize, ldc: usize, first: bool): void {
  let c00 = f32x4.splat(0), c01 = f32x4.splat(0), c10 = f32x4.splat(0), c11 = f32x4.splat(0);
  let c20 = f32x4.splat(0), c21 = f32x4.splat(0), c30 = f32x4.splat(0), c31 = f32x4.splat(0);
  for (let p = 0; p < kc; p++) {
    const b0 = v128.load(b), b1 = v128.load(b, 16);
    let x = v128.load32_splat(a);
    c00 = f32x4.add(c00, f32x4.mul(x, b0)); c01 = f32x4.add(c01, f32x4.mul(x, b1));
    x = v128.load32_splat(a, 4);
    c10 = f32x4.add(c10, f32x4.mul(x, b0)); c11 = f32x4.add(c11, f32x4.mul(x, b1));
    x = v128.load32_splat(a, 8);
    c20 = f32x4.add(c20, f32x4.mul(x, b0)); c21 = f32x4.add(c21, f32x4.mul(x, b1));
    x = v128.load32_splat(a, 12);
    c30 = f32x4.add(c30, f32x4.mul(x, b0)); c31 = f32x4.add(c31, f32x4.mul(x, b1));
    a += MR << 2;
    b += NR << 2;
  }
  if (first) {
    v128.store(c, c00); v128.store(c, c01, 16); c += ldc;
    v128.store(c, c10); v128.store(c, c11, 16); c += ldc;
    v128.store(c, c20); v128.store(c, c21, 16); c += ldc;
    v128.store(c, c30); v128.store(c, c31, 16);
    return;
  }
  v128.store(c, f32x4.add(v128.load(c), c00));
  v128.store(c, f32x4.add(v128.load(c, 16), c01), 16);
  c += ldc;
  v128.store(c, f32x4.add(v128.load(c), c10));
  v128.store(c, f32x4.add(v128.load(c, 16), c11), 16);
  c += ldc;
  v128.store(c, f32x4.add(v128.load(c), c20));
  v128.store(c, f32x4.add(v128.load(c, 16), c21), 16);
  c += ldc;
  v128.store(c, f32x4.add(v128.load(c), c30));
  v128.store(c, f32x4.add(v128.load(c, 16), c31), 16);
}

// A tile on the edge of C: computed into the scratch tile, then its valid part added.
function edgeKernel(kc: i32, a: usize, b: usize, c: usize, ldc: usize, rows: i32, cols: i32, first: bool): void {
  microKernel(kc, a, b, edgeTile, NR << 2, true);
  for (let r = 0; r < rows; r++) {
    for (let j = 0; j < cols; j++) {
      const dst = c + <usize>r * ldc + (<usize>j << 2);
      const v = load<f32>(edgeTile + (<usize>(r * NR + j) << 2));
      store<f32>(dst, first ? v : load<f32>(dst) + v);
    }
  }
}

/** c (m x n, row-major) = op(a) · op(b); a is m x k (k x m if transA), b k x n (n x k if transB). */
export function gemm(a: usize, b: usize, c: usize, m: i32, k: i32, n: i32, transA: bool, transB: bool): void {
  const ldc = <usize>n << 2;
  if (k == 0) memory.fill(c, 0, <usize>(m * n) << 2);
  for (let j0 = 0; j0 < n; j0 += NC) {
    const nc = min(NC, n - j0);
    for (let p0 = 0; p0 < k; p0 += KC) {
      const kc = min(KC, k - p0);
      // op(B)[p][j] is b[p * n + j], or b[j * k + p] when transposed
      if (transB) pack(packedB, b + (<usize>(j0 * k + p0) << 2), NR, nc, kc, k, 1);
      else pack(packedB, b + (<usize>(p0 * n + j0) << 2), NR, nc, kc, 1, n);
      for (let i0 = 0; i0 < m; i0 += MC) {
        const mc = min(MC, m - i0);
        // op(A)[i][p] is a[i * k + p], or a[p * m + i] when transposed
        if (transA) pack(packedA, a + (<usize>(p0 * m + i0) << 2), MR, mc, kc, 1, m);
        else pack(packedA, a + (<usize>(i0 * k + p0) << 2), MR, mc, kc, k, 1);
        for (let jr = 0; jr < nc; jr += NR) {
          const cols = min(NR, nc - jr);
          const bPanel = packedB + (<usize>(jr * kc) << 2);
          for (let ir = 0; ir < mc; ir += MR) {
            const rows = min(MR, mc - ir);
            const aPanel = packedA + (<usize>(ir * kc) << 2);
            const tile = c + <usize>(i0 + ir) * ldc + (<usize>(j0 + jr) << 2);
            if (rows == MR && cols == NR) {
              if (p0 == 0) microKernel(kc, aPanel, bPanel, tile, ldc, true);
              else microKernel(kc, aPanel, bPanel, tile, ldc, false);
            } else {
              edgeKernel(kc, aPanel, bPanel, tile, ldc, rows, cols, p0 == 0);
            }
          }
        }
      }
    }
  }
}
