// A PyTorch program ported line by line: a bag-of-embeddings classifier with attention
// pooling, trained by SGD on synthetic token sequences. It uses indexing (embedding rows,
// a padding mask, the label's log-probability), einsum, where, topk and the in-place ops.
// Run: npx tsx examples/porting.ts
import * as wg from "../bindings/index.js";

wg.manual_seed(0);
const vocab = 48, dim = 16, classes = 4, length = 12, batch = 64;

// Each class favours its own quarter of the vocabulary; token 0 pads shorter sequences.
function sampleBatch(): { tokens: wg.Tensor; labels: wg.Tensor } {
  const labels = wg.randint(0, classes, [batch], { dtype: "int32" });
  const own = labels.unsqueeze(1).mul(vocab / classes).add(wg.randint(1, vocab / classes, [batch, length], { dtype: "int32" }));
  const noise = wg.randint(1, vocab, [batch, length], { dtype: "int32" });
  const tokens = wg.where(wg.rand([batch, length]).lt(0.6), own, noise);
  const padded = wg.arange(length).unsqueeze(0).ge(wg.randint(6, length + 1, [batch, 1]));
  return { tokens: tokens.masked_fill(padded, 0), labels };
}

const embedding = wg.randn([vocab, dim], { requires_grad: true });
const query = wg.randn([dim], { requires_grad: true });
const head = wg.randn([dim, classes]).mul(0.1).requires_grad_();
const params = [embedding, query, head];

function logits(tokens: wg.Tensor): wg.Tensor {
  const e = embedding.index(tokens);                       // [batch, length, dim]: embedding rows
  const scores = wg.einsum("bld,d->bl", e, query);         // attention scores
  const weights = scores.masked_fill(tokens.eq(0), -Infinity).softmax(1);
  const pooled = wg.einsum("bl,bld->bd", weights, e);
  return pooled.matmul(head);
}

function crossEntropy(z: wg.Tensor, labels: wg.Tensor): wg.Tensor {
  const logp = z.sub(z.logsumexp(1, true));
  return logp.gather(1, labels.unsqueeze(1)).mean().neg();  // the label's log-probability
}

for (let step = 0; step <= 300; step++) {
  wg.scope(() => {
    const { tokens, labels } = sampleBatch();
    const z = logits(tokens);
    const loss = crossEntropy(z, labels);
    for (const p of params) p.grad = null;
    loss.backward();
    wg.no_grad(() => {
      for (const p of params) p.sub_(p.grad!.clamp(-1, 1), { alpha: 0.5 });
    });
    if (step % 50 === 0) {
      const top2 = z.topk(2, 1).indices;
      const hit1 = top2.index(":", 0).eq(labels).float().mean().item();
      const hit2 = top2.eq(labels.unsqueeze(1)).any(1).float().mean().item();
      console.log(`step ${String(step).padStart(3)}  loss ${loss.item().toFixed(3)}  top-1 ${hit1.toFixed(2)}  top-2 ${hit2.toFixed(2)}`);
    }
  });
}
