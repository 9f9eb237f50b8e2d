// A raw DEFLATE decoder (RFC 1951), synchronous: the core is embedded compressed, which
// makes the bundle about 55 KB smaller gzipped than its base64, and decoded once at import.
// Canonical Huffman codes decoded a bit at a time (as tinf does): small, and fast enough
// for the one stream it reads.

interface Tree { counts: Uint16Array; symbols: Uint16Array }

const LENGTH_BASE = [3, 4, 5, 6, 7, 8, 9, 10, 11, 13, 15, 17, 19, 23, 27, 31, 35, 43, 51, 59, 67, 83, 99, 115, 131, 163, 195, 227, 258];
const LENGTH_EXTRA = [0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2, 3, 3, 3, 3, 4, 4, 4, 4, 5, 5, 5, 5, 0];
const DIST_BASE = [1, 2, 3, 4, 5, 7, 9, 13, 17, 25, 33, 49, 65, 97, 129, 193, 257, 385, 513, 769, 1025, 1537, 2049, 3073,
  4097, 6145, 8193, 12289, 16385, 24577];
const DIST_EXTRA = [0, 0, 0, 0, 1, 1, 2, 2, 3, 3, 4, 4, 5, 5, 6, 6, 7, 7, 8, 8, 9, 9, 10, 10, 11, 11, 12, 12, 13, 13];
const CODE_LENGTH_ORDER = [16, 17, 18, 0, 8, 7, 9, 6, 10, 5, 11, 4, 12, 3, 13, 2, 14, 1, 15];

function tree(lengths: ArrayLike<number>, from: number, count: number): Tree {
  const counts = new Uint16Array(16), symbols = new Uint16Array(count), offsets = new Uint16Array(16);
  for (let i = 0; i < count; i++) counts[lengths[from + i]]++;
  counts[0] = 0;
  for (let len = 1, sum = 0; len < 16; len++) {
    offsets[len] = sum;
    sum += counts[len];
  }
  for (let i = 0; i < count; i++) if (lengths[from + i] !== 0) symbols[offsets[lengths[from + i]]++] = i;
  return { counts, symbols };
}

const fixedLengths = new Uint8Array(288 + 30);
fixedLengths.fill(8, 0, 144).fill(9, 144, 256).fill(7, 256, 280).fill(8, 280, 288).fill(5, 288);
const FIXED_LITERALS = tree(fixedLengths, 0, 288), FIXED_DISTANCES = tree(fixedLengths, 288, 30);

/** The `size` bytes the raw DEFLATE stream `src` holds. Throws on a malformed stream. */
export function inflateRaw(src: Uint8Array, size: number): Uint8Array<ArrayBuffer> {
  const out = new Uint8Array(size);
  let at = 0, pos = 0, tag = 0, held = 0;
  const bit = () => {
    if (held === 0) {
      if (pos >= src.length) throw new Error("inflate: the stream ends early");
      tag = src[pos++];
      held = 8;
    }
    const b = tag & 1;
    tag >>>= 1;
    held--;
    return b;
  };
  const bits = (n: number) => {
    let v = 0;
    for (let k = 0; k < n; k++) v |= bit() << k;
    return v;
  };
  const symbol = (t: Tree) => {
    let code = 0, first = 0, index = 0;
    for (let len = 1; len < 16; len++) {
      code |= bit();
      const count = t.counts[len];
      if (code - first < count) return t.symbols[index + code - first];
      index += count;
      first = (first + count) << 1;
      code <<= 1;
    }
    throw new Error("inflate: a code that the tree does not have");
  };
  let last = 0;
  do {
    last = bit();
    const type = bits(2);
    if (type === 0) { // stored: byte-aligned LEN, NLEN, then LEN bytes
      held = 0;
      const len = src[pos] | (src[pos + 1] << 8);
      if ((len ^ (src[pos + 2] | (src[pos + 3] << 8))) !== 0xffff) throw new Error("inflate: a stored block's length is corrupt");
      out.set(src.subarray(pos + 4, pos + 4 + len), at);
      pos += 4 + len;
      at += len;
      continue;
    }
    if (type === 3) throw new Error("inflate: a block of the reserved type");
    let literals = FIXED_LITERALS, distances = FIXED_DISTANCES;
    if (type === 2) {
      const hlit = bits(5) + 257, hdist = bits(5) + 1, hclen = bits(4) + 4;
      const codeLengths = new Uint8Array(19);
      for (let i = 0; i < hclen; i++) codeLengths[CODE_LENGTH_ORDER[i]] = bits(3);
      const lengthTree = tree(codeLengths, 0, 19);
      const lengths = new Uint8Array(hlit + hdist);
      for (let i = 0; i < hlit + hdist;) {
        const s = symbol(lengthTree);
        if (s < 16) { lengths[i++] = s; continue; }
        const [value, repeat] = s === 16 ? [lengths[i - 1], 3 + bits(2)] : s === 17 ? [0, 3 + bits(3)] : [0, 11 + bits(7)];
        lengths.fill(value, i, i + repeat);
        i += repeat;
      }
      literals = tree(lengths, 0, hlit);
      distances = tree(lengths, hlit, hdist);
    }
    for (;;) {
      const s = symbol(literals);
      if (s < 256) { out[at++] = s; continue; }
      if (s === 256) break;
      const length = LENGTH_BASE[s - 257] + bits(LENGTH_EXTRA[s - 257]);
      const d = symbol(distances);
      const distance = DIST_BASE[d] + bits(DIST_EXTRA[d]);
      if (distance > at) throw new Error("inflate: a distance before the start");
      for (let k = 0; k < length; k++, at++) out[at] = out[at - distance];
    }
  } while (!last);
  if (at !== size) throw new Error(`inflate: ${at} bytes where ${size} were expected`);
  return out;
}
