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

// Writes the transpose of the 4 x 4 block whose rows are r0..r3: column j goes to
// dst + j * stride.
@inline function storeTransposed(r0: v128, r1: v128, r2: v128, r3: v128, dst: usize, stride: usize): void {
  const t0 = v128.shuffle<f32>(r0, r1, 0, 4, 1, 5), t1 = v128.shuffle<f32>(r2, r3, 0, 4, 1, 5);
  const t2 = v128.shuffle<f32>(r0, r1, 2, 6, 3, 7), t3 = v128.shuffle<f32>(r2, r3, 2, 6, 3, 7);
  v128.store(dst, v128.shuffle<f32>(t0, t1, 0, 1, 4, 5));
  v128.store(dst + stride, v128.shuffle<f32>(t0, t1, 2, 3, 6, 7));
  v128.store(dst + 2 * stride, v128.shuffle<f32>(t2, t3, 0, 1, 4, 5));
  v128.store(dst + 3 * stride, v128.shuffle<f32>(t2, t3, 2, 3, 6, 7));
}

// Packs rows [i0, i0 + mc) and depth [p0, p0 + kc) of op(A) into MR-row panels, each
// stored [kc][MR]. op(A)[i][p] is a[i * k + p], or a[p * m + i] when transposed.
function packA(a: usize, m: i32, k: i32, trans: bool, i0: i32, mc: i32, p0: i32, kc: i32): void {
  let dst = packedA;
  for (let ir = 0; ir < mc; ir += MR) {
    const rows = min(MR, mc - ir);
    const i = i0 + ir;
    let p = 0;
    if (rows == MR) {
      if (trans) { // the MR values of a step of k are contiguous
        for (; p < kc; p++) v128.store(dst + (<usize>(p * MR) << 2), v128.load(a + (<usize>((p0 + p) * m + i) << 2)));
      } else { // MR rows, four steps of k at a time, transposed in registers
        const row = a + (<usize>(i * k + p0) << 2), ld = <usize>k << 2;
        for (; p + 4 <= kc; p += 4) {
          const src = row + (<usize>p << 2);
          storeTransposed(v128.load(src), v128.load(src + ld), v128.load(src + 2 * ld), v128.load(src + 3 * ld),
            dst + (<usize>(p * MR) << 2), MR << 2);
        }
      }
    }
    for (; p < kc; p++) {
      for (let r = 0; r < MR; r++) {
        let v: f32 = 0;
        if (r < rows) {
          const q = p0 + p;
          v = trans ? load<f32>(a + (<usize>(q * m + i + r) << 2)) : load<f32>(a + (<usize>((i + r) * k + q) << 2));
        }
        store<f32>(dst + (<usize>(p * MR + r) << 2), v);
      }
    }
    dst += <usize>(kc * MR) << 2;
  }
}

// Packs depth [p0, p0 + kc) and columns [j0, j0 + nc) of op(B) into NR-column panels,
// each stored [kc][NR]. op(B)[p][j] is b[p * n + j], or b[j * k + p] when transposed.
function packB(b: usize, k: i32, n: i32, trans: bool, p0: i32, kc: i32, j0: i32, nc: i32): void {
  let dst = packedB;
  for (let jr = 0; jr < nc; jr += NR) {
    const cols = min(NR, nc - jr);
    const j = j0 + jr;
    let p = 0;
    if (cols == NR) {
      if (!trans) { // a step of k is NR contiguous values
        for (; p < kc; p++) {
          const src = b + (<usize>((p0 + p) * n + j) << 2), to = dst + (<usize>(p * NR) << 2);
          v128.store(to, v128.load(src));
          v128.store(to, v128.load(src, 16), 16);
        }
      } else { // NR rows of b, four steps of k at a time, transposed in registers
        const row = b + (<usize>(j * k + p0) << 2), ld = <usize>k << 2;
        for (; p + 4 <= kc; p += 4) {
          const src = row + (<usize>p << 2), to = dst + (<usize>(p * NR) << 2);
          storeTransposed(v128.load(src), v128.load(src + ld), v128.load(src + 2 * ld), v128.load(src + 3 * ld),
            to, NR << 2);
          const src4 = src + 4 * ld;
          storeTransposed(v128.load(src4), v128.load(src4 + ld), v128.load(src4 + 2 * ld), v128.load(src4 + 3 * ld),
            to + 16, NR << 2);
        }
      }
    }
    for (; p < kc; p++) {
      const q = p0 + p;
      for (let c = 0; c < NR; c++) {
        let v: f32 = 0;
        if (c < cols) v = trans ? load<f32>(b + (<usize>((j + c) * k + q) << 2)) : load<f32>(b + (<usize>(q * n + j + c) << 2));
        store<f32>(dst + (<usize>(p * NR + c) << 2), v);
      }
    }
    dst += <usize>(kc * NR) << 2;
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
      packB(b, k, n, transB, p0, kc, j0, nc);
      for (let i0 = 0; i0 < m; i0 += MC) {
        const mc = min(MC, m - i0);
        packA(a, m, k, transA, i0, mc, p0, kc);
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
