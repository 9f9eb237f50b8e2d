// C[m, n] = op(A)[m, k] · op(B)[k, n] in float32 or float64 (gemm<f32>, gemm<f64>), where
// op(X) is X or its transpose, read straight from row-major storage: the backward of a
// matmul (G·Bᵀ, Aᵀ·G) never materialises a transpose.
//
// The structure is the classic one of BLIS: blocks of B (KC x NC) and A (MC x KC) are
// packed into panels laid out in the order the micro-kernel reads them, so that the
// innermost loop streams both from L1/L2 cache; the micro-kernel keeps an MR x NR tile of
// C in eight SIMD registers (4 rows of two vectors: 4 x 8 in f32, 4 x 4 in f64), and per
// step of k loads one row of the B panel and broadcasts four values of the A panel. Edges
// are zero-padded in the panels and the tile goes through a scratch buffer.
//
// One implementation serves both types: everything that depends on T (the lanes per
// vector, the tile width, the block sizes, the SIMD ops) is chosen at compile time, so
// each instantiation is straight-line code for its type.

// Blocking, per element type T. The micro-tile is MR rows by NR columns, NR being two
// vectors (8 f32 or 4 f64), so either type keeps eight accumulators. f64 halves KC, so that
// an A micro-panel (KC x MR, 4 KiB), a packed A block (MC x KC, 64 KiB, L2) and a packed B
// block (KC x NC, 1 MiB) have the same size in bytes for both types; a B micro-panel
// (KC x NR) is 8 KiB in f32 and 4 KiB in f64, in L1 either way.
const MR = 4;                                                          // rows of the micro-tile
@inline function NR<T>(): i32 { return <i32>(32 / sizeof<T>()); }      // columns: 8 f32, 4 f64
@inline function KC<T>(): i32 { return sizeof<T>() == 8 ? 128 : 256; } // depth of a packed block
const MC = 64;                                                         // rows of a packed A block
const NC = 1024;                                                       // columns of a packed B block

@inline function bytesA<T>(): usize { return <usize>(MC * KC<T>()) * sizeof<T>(); }
@inline function bytesB<T>(): usize { return <usize>(KC<T>() * NC) * sizeof<T>(); }
@inline function bytesTile<T>(): usize { return <usize>(MR * NR<T>()) * sizeof<T>(); }

// Allocated once, for the larger of the two types.
const packedA = heap.alloc(max(bytesA<f32>(), bytesA<f64>()));
const packedB = heap.alloc(max(bytesB<f32>(), bytesB<f64>()));
const edgeTile = heap.alloc(max(bytesTile<f32>(), bytesTile<f64>()));

// Byte offset of element i.
@inline function at<T>(i: i32): usize { return <usize>i << alignof<T>(); }

// Reads the square block of one vector per row, rows src, src + ld, …, and writes its
// transpose: column j goes to dst + j * stride. 4 x 4 in f32, 2 x 2 in f64.
@inline function transposeBlock<T>(src: usize, ld: usize, dst: usize, stride: usize): void {
  if (sizeof<T>() == 8) {
    const r0 = v128.load(src), r1 = v128.load(src + ld);
    v128.store(dst, v128.shuffle<f64>(r0, r1, 0, 2));
    v128.store(dst + stride, v128.shuffle<f64>(r0, r1, 1, 3));
  } else {
    const r0 = v128.load(src), r1 = v128.load(src + ld), r2 = v128.load(src + 2 * ld), r3 = v128.load(src + 3 * ld);
    const t0 = v128.shuffle<f32>(r0, r1, 0, 4, 1, 5), t1 = v128.shuffle<f32>(r2, r3, 0, 4, 1, 5);
    const t2 = v128.shuffle<f32>(r0, r1, 2, 6, 3, 7), t3 = v128.shuffle<f32>(r2, r3, 2, 6, 3, 7);
    v128.store(dst, v128.shuffle<f32>(t0, t1, 0, 1, 4, 5));
    v128.store(dst + stride, v128.shuffle<f32>(t0, t1, 2, 3, 6, 7));
    v128.store(dst + 2 * stride, v128.shuffle<f32>(t2, t3, 0, 1, 4, 5));
    v128.store(dst + 3 * stride, v128.shuffle<f32>(t2, t3, 2, 3, 6, 7));
  }
}

// Packs a block of `lanes` lanes (rows of op(A), or columns of op(B)) by kc steps of k
// into panels of `width` lanes, each stored [kc][width], the last one zero-padded. The
// value of lane l at step p is at element src + l * laneStride + p * stepStride: one of
// the strides is 1 for the layouts gemm packs, and each gets a SIMD path.
// @inline: width is a constant at both call sites.
@inline function pack<T>(dst: usize, src: usize, width: i32, lanes: i32, kc: i32, laneStride: i32, stepStride: i32): void {
  const V = <i32>(16 / sizeof<T>()); // lanes per vector
  for (let l0 = 0; l0 < lanes; l0 += width) {
    const used = min(width, lanes - l0);
    const panel = src + at<T>(l0 * laneStride);
    let p = 0;
    if (used == width && laneStride == 1) { // a step's values are contiguous
      for (; p < kc; p++) {
        const from = panel + at<T>(p * stepStride), to = dst + at<T>(p * width);
        for (let v = 0; v < width; v += V) v128.store(to + at<T>(v), v128.load(from + at<T>(v)));
      }
    } else if (used == width && stepStride == 1) { // a lane's steps are contiguous: transpose V x V blocks
      for (; p + V <= kc; p += V) {
        for (let v = 0; v < width; v += V) {
          transposeBlock<T>(panel + at<T>(v * laneStride + p), at<T>(laneStride),
            dst + at<T>(p * width + v), at<T>(width));
        }
      }
    }
    for (; p < kc; p++) {
      for (let l = 0; l < width; l++) {
        const v: T = l < used ? load<T>(panel + at<T>(l * laneStride + p * stepStride)) : <T>0;
        store<T>(dst + at<T>(p * width + l), v);
      }
    }
    dst += at<T>(kc * width);
  }
}

// c[0..MR)[0..NR) (+)= panel a (kc x MR) · panel b (kc x NR); ldc is C's row stride in
// bytes. The first block of k stores, the later ones add, so C needs no clearing first.
// @inline: eight accumulators live in registers only if nothing crosses a call.
@inline function microKernel<T>(kc: i32, a: usize, b: usize, c: usize, ldc: usize, first: bool): void {
  const S = sizeof<T>();
  let c00 = v128.splat<T>(0), c01 = v128.splat<T>(0), c10 = v128.splat<T>(0), c11 = v128.splat<T>(0);
  let c20 = v128.splat<T>(0), c21 = v128.splat<T>(0), c30 = v128.splat<T>(0), c31 = v128.splat<T>(0);
  for (let p = 0; p < kc; p++) {
    const b0 = v128.load(b), b1 = v128.load(b, 16);
    let x = v128.load_splat<T>(a);
    c00 = v128.add<T>(c00, v128.mul<T>(x, b0)); c01 = v128.add<T>(c01, v128.mul<T>(x, b1));
    x = v128.load_splat<T>(a, S);
    c10 = v128.add<T>(c10, v128.mul<T>(x, b0)); c11 = v128.add<T>(c11, v128.mul<T>(x, b1));
    x = v128.load_splat<T>(a, 2 * S);
    c20 = v128.add<T>(c20, v128.mul<T>(x, b0)); c21 = v128.add<T>(c21, v128.mul<T>(x, b1));
    x = v128.load_splat<T>(a, 3 * S);
    c30 = v128.add<T>(c30, v128.mul<T>(x, b0)); c31 = v128.add<T>(c31, v128.mul<T>(x, b1));
    a += <usize>MR * S;
    b += <usize>NR<T>() * S; // 32 bytes: two vectors
  }
  if (first) {
    v128.store(c, c00); v128.store(c, c01, 16); c += ldc;
    v128.store(c, c10); v128.store(c, c11, 16); c += ldc;
    v128.store(c, c20); v128.store(c, c21, 16); c += ldc;
    v128.store(c, c30); v128.store(c, c31, 16);
    return;
  }
  v128.store(c, v128.add<T>(v128.load(c), c00));
  v128.store(c, v128.add<T>(v128.load(c, 16), c01), 16);
  c += ldc;
  v128.store(c, v128.add<T>(v128.load(c), c10));
  v128.store(c, v128.add<T>(v128.load(c, 16), c11), 16);
  c += ldc;
  v128.store(c, v128.add<T>(v128.load(c), c20));
  v128.store(c, v128.add<T>(v128.load(c, 16), c21), 16);
  c += ldc;
  v128.store(c, v128.add<T>(v128.load(c), c30));
  v128.store(c, v128.add<T>(v128.load(c, 16), c31), 16);
}

// A tile on the edge of C: computed into the scratch tile, then its valid part added.
function edgeKernel<T>(kc: i32, a: usize, b: usize, c: usize, ldc: usize, rows: i32, cols: i32, first: bool): void {
  microKernel<T>(kc, a, b, edgeTile, at<T>(NR<T>()), true);
  for (let r = 0; r < rows; r++) {
    for (let j = 0; j < cols; j++) {
      const dst = c + <usize>r * ldc + at<T>(j);
      const v = load<T>(edgeTile + at<T>(r * NR<T>() + j));
      store<T>(dst, first ? v : load<T>(dst) + v);
    }
  }
}

/**
 * c (m x n, row-major) = op(a) · op(b); a is m x k (k x m if transA), b k x n (n x k if
 * transB); T is f32 or f64.
 */
export function gemm<T>(a: usize, b: usize, c: usize, m: i32, k: i32, n: i32, transA: bool, transB: bool): void {
  if (!(isFloat<T>() && (sizeof<T>() == 4 || sizeof<T>() == 8))) ERROR("gemm<T>: T must be f32 or f64");
  // A product with a vector would spend its time packing and padding panels for a tile it
  // mostly leaves empty: it streams the matrix once instead. op(B) of one column is b
  // itself either way, and so is op(A) of one row.
  if (n == 1) { matVec<T>(a, b, c, m, k, transA); return; }
  if (m == 1) { matVec<T>(b, a, c, n, k, !transB); return; }
  const nr = NR<T>(), kcMax = KC<T>();
  const ldc = at<T>(n);
  if (k == 0) memory.fill(c, 0, at<T>(m * n));
  for (let j0 = 0; j0 < n; j0 += NC) {
    const nc = min(NC, n - j0);
    for (let p0 = 0; p0 < k; p0 += kcMax) {
      const kc = min(kcMax, k - p0);
      // op(B)[p][j] is b[p * n + j], or b[j * k + p] when transposed
      if (transB) pack<T>(packedB, b + at<T>(j0 * k + p0), nr, nc, kc, k, 1);
      else pack<T>(packedB, b + at<T>(p0 * n + j0), nr, nc, kc, 1, n);
      for (let i0 = 0; i0 < m; i0 += MC) {
        const mc = min(MC, m - i0);
        // op(A)[i][p] is a[i * k + p], or a[p * m + i] when transposed
        if (transA) pack<T>(packedA, a + at<T>(p0 * m + i0), MR, mc, kc, 1, m);
        else pack<T>(packedA, a + at<T>(i0 * k + p0), MR, mc, kc, k, 1);
        for (let jr = 0; jr < nc; jr += nr) {
          const cols = min(nr, nc - jr);
          const bPanel = packedB + at<T>(jr * kc);
          for (let ir = 0; ir < mc; ir += MR) {
            const rows = min(MR, mc - ir);
            const aPanel = packedA + at<T>(ir * kc);
            const tile = c + <usize>(i0 + ir) * ldc + at<T>(j0 + jr);
            if (rows == MR && cols == nr) {
              if (p0 == 0) microKernel<T>(kc, aPanel, bPanel, tile, ldc, true);
              else microKernel<T>(kc, aPanel, bPanel, tile, ldc, false);
            } else {
              edgeKernel<T>(kc, aPanel, bPanel, tile, ldc, rows, cols, p0 == 0);
            }
          }
        }
      }
    }
  }
}

// ---- products with a vector ------------------------------------------------------------

// c[i] = sum_p M(i, p) x[p] for i < rows, p < k, where M(i, p) is mat[i * k + p] (rows
// stored one after the other: a dot product per row) or, when `columns`, mat[p * rows + i]
// (the transpose stored: x[p] times row p of the storage, added up).
function matVec<T>(mat: usize, x: usize, c: usize, rows: i32, k: i32, columns: bool): void {
  const w = <i32>(16 / sizeof<T>());
  if (!columns) {
    for (let i = 0; i < rows; i++) store<T>(c + at<T>(i), dotSpan<T>(mat + at<T>(i * k), x, k, w));
    return;
  }
  memory.fill(c, 0, at<T>(rows));
  for (let p = 0; p < k; p++) {
    const scale = load<T>(x + at<T>(p)), row = mat + at<T>(p * rows);
    const sv = v128.splat<T>(scale);
    let i = 0;
    for (; i + w <= rows; i += w) {
      const at_ = c + at<T>(i);
      v128.store(at_, v128.add<T>(v128.load(at_), v128.mul<T>(sv, v128.load(row + at<T>(i)))));
    }
    for (; i < rows; i++) store<T>(c + at<T>(i), load<T>(c + at<T>(i)) + scale * load<T>(row + at<T>(i)));
  }
}

// sum_p u[p] v[p], with two vector accumulators.
function dotSpan<T>(u: usize, v: usize, k: i32, w: i32): T {
  let s0 = v128.splat<T>(<T>0), s1 = v128.splat<T>(<T>0);
  let p = 0;
  for (; p + 2 * w <= k; p += 2 * w) {
    s0 = v128.add<T>(s0, v128.mul<T>(v128.load(u + at<T>(p)), v128.load(v + at<T>(p))));
    s1 = v128.add<T>(s1, v128.mul<T>(v128.load(u + at<T>(p + w)), v128.load(v + at<T>(p + w))));
  }
  s0 = v128.add<T>(s0, s1);
  let s: T;
  if (sizeof<T>() == 8) s = <T>(f64x2.extract_lane(s0, 0) + f64x2.extract_lane(s0, 1));
  else s = <T>((f32x4.extract_lane(s0, 0) + f32x4.extract_lane(s0, 1)) + (f32x4.extract_lane(s0, 2) + f32x4.extract_lane(s0, 3)));
  for (; p < k; p++) s += load<T>(u + at<T>(p)) * load<T>(v + at<T>(p));
  return s;
}
