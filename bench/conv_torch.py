# The anchor for bench/conv.ts: the same LeNet-style step and parts in PyTorch on one
# thread (run with /usr/bin/python3). Medians after a warm-up, in milliseconds.
import os, time
import torch
import torch.nn.functional as F

torch.set_num_threads(1)
RUNS, WARMUP = int(os.environ.get("RUNS", 15)), 3


def median(fn):
    for _ in range(WARMUP):
        fn()
    times = []
    for _ in range(RUNS):
        t0 = time.perf_counter()
        fn()
        times.append((time.perf_counter() - t0) * 1000)
    return sorted(times)[len(times) // 2]


x = torch.randn(64, 1, 28, 28)
w1, b1 = torch.randn(6, 1, 5, 5, requires_grad=True), torch.randn(6, requires_grad=True)
w2, b2 = torch.randn(16, 6, 5, 5, requires_grad=True), torch.randn(16, requires_grad=True)
h1 = torch.randn(64, 6, 24, 24, requires_grad=True)
p1 = torch.randn(64, 6, 12, 12, requires_grad=True)


def clear(*ts):
    for t in ts:
        t.grad = None


def step():
    y = F.max_pool2d(F.conv2d(x, w1, b1).relu(), 2)
    F.max_pool2d(F.conv2d(y, w2, b2).relu(), 2).sum().backward()
    clear(w1, b1, w2, b2)


def conv1():
    F.conv2d(x, w1, b1).sum().backward(); clear(w1, b1)


def conv2():
    F.conv2d(p1, w2, b2).sum().backward(); clear(p1, w2, b2)


def forward():
    with torch.no_grad():
        F.max_pool2d(F.conv2d(F.max_pool2d(F.conv2d(x, w1, b1).relu(), 2), w2, b2).relu(), 2).sum()


results = [
    ("LeNet step: forward + backward", median(step)),
    ("LeNet forward only (no_grad)", median(forward)),
    ("conv1 (1->6, 5x5 on 28x28) fwd+bwd (weight, bias)", median(conv1)),
    ("conv2 (6->16, 5x5 on 12x12) fwd+bwd (input, weight, bias)", median(conv2)),
    ("unfold of conv2's input (64x6x12x12, 5x5)", median(lambda: F.unfold(p1.detach(), 5))),
    ("max_pool2d 2 of 64x6x24x24 fwd+bwd", median(lambda: (F.max_pool2d(h1, 2).sum().backward(), clear(h1)))),
    ("avg_pool2d 2 of 64x6x24x24 fwd+bwd", median(lambda: (F.avg_pool2d(h1, 2).sum().backward(), clear(h1)))),
]
for name, ms in results:
    print(f"{name:<60} {ms:8.2f} ms")
