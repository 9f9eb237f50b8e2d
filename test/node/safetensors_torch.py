"""PyTorch's side of test/node/safetensors-torch.test.ts, run with /usr/bin/python3:
  read PATH    rebuilds each tensor of a file with torch.frombuffer; prints them as JSON
  write PATH   writes test/fixtures/safetensors_io.sample() (names unescaped); prints what
               each tensor must load as in wasmgrad
  wide PATH    writes an int64 tensor with a value beyond int32"""
import json, os, sys
import torch

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "fixtures"))
from safetensors_io import read, write, describe, sample

LOADS_AS = {torch.int64: torch.int32, torch.uint8: torch.int32, torch.int8: torch.int32, torch.int16: torch.int32,
            torch.float16: torch.float32, torch.bfloat16: torch.float32}

command, path = sys.argv[1], sys.argv[2]
if command == "read":
    with open(path, "rb") as f:
        tensors, metadata, n = read(f.read())
    print(json.dumps({"header_length": n, "metadata": metadata, "tensors": {k: describe(t) for k, t in tensors.items()}}))
elif command == "write":
    tensors = sample()
    metadata = {"writer": "torch " + torch.__version__, "ünïcode": "✓"}
    with open(path, "wb") as f:
        f.write(write(tensors, metadata, ensure_ascii=False))
    print(json.dumps({"metadata": metadata, "tensors": {k: describe(t.to(LOADS_AS.get(t.dtype, t.dtype))) for k, t in tensors}}))
elif command == "wide":
    with open(path, "wb") as f:
        f.write(write([("ok", torch.tensor([1, 2])), ("steps", torch.tensor([3, 2**40, 5]))]))
else:
    sys.exit("unknown command " + command)
