# The anchor for examples/mnist.ts: one epoch of the same CNN (LeNet's layout, 8 and 16
# channels), the same batches (64 of 8,000 digits, shuffled) and optimizer (Adam, lr 3e-3)
# in PyTorch, on one thread and on two (run with /usr/bin/python3). The digits are random
# pixels: an epoch's time does not depend on their values. Median of 5 epochs, seconds.
import time
import torch
import torch.nn as nn

torch.manual_seed(0)
x, y = torch.rand(8000, 1, 28, 28), torch.randint(0, 10, (8000,))
model = nn.Sequential(
    nn.Conv2d(1, 8, 5), nn.ReLU(), nn.MaxPool2d(2),
    nn.Conv2d(8, 16, 5), nn.ReLU(), nn.MaxPool2d(2),
    nn.Flatten(), nn.Linear(256, 64), nn.ReLU(), nn.Linear(64, 10),
)
optimizer = torch.optim.Adam(model.parameters(), lr=3e-3)
loss_fn = nn.CrossEntropyLoss()


def epoch():
    order = torch.randperm(8000)
    for i in range(0, 8000, 64):
        batch = order[i:i + 64]
        optimizer.zero_grad()
        loss_fn(model(x[batch]), y[batch]).backward()
        optimizer.step()


for threads in (1, 2):
    torch.set_num_threads(threads)
    epoch()  # warm-up
    times = []
    for _ in range(5):
        t0 = time.perf_counter()
        epoch()
        times.append(time.perf_counter() - t0)
    print(f"PyTorch {torch.__version__}, {threads} thread{'s' if threads > 1 else ''}: {sorted(times)[2]:.2f} s an epoch")
