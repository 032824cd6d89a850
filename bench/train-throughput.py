"""PyTorch counterpart of bench/train-throughput.ts: the same GPT-2 shapes (learned positions,
pre-LayerNorm, GELU tanh, tied embeddings, biases), AdamW, LoRA on c_attn (r 8, alpha 16, dropout
0.05), batch of random tokens, one thread. Prints one JSON object: {"rows": [{case, method,
tokensPerSecond}], "torch": version, "threads": n, "blas": [shared libraries with "blas" in their
path that the process mapped after a matmul], "attention": "sdpa" | "explicit"}.

Runs on torch 1.13 (Debian's python3-torch) too: without F.scaled_dot_product_attention (torch >= 2.0)
attention is computed explicitly (QK^T / sqrt(d), causal mask, softmax, times V: the same math).
Thread count: torch.set_num_threads(1) here; the TypeScript bench also sets OPENBLAS_NUM_THREADS=1 and
OMP_NUM_THREADS=1 in this process's environment, since Debian's torch calls whatever BLAS
libblas.so.3 points to.

Called by the TypeScript bench with one JSON argument: {"cases": [...], "methods": [...], "repeats": n}.
"""
import json
import math
import sys
import time

import torch
import torch.nn as nn
import torch.nn.functional as F

torch.set_num_threads(1)


class Conv1D(nn.Module):
    def __init__(self, n_in, n_out):
        super().__init__()
        self.weight = nn.Parameter(torch.randn(n_in, n_out) * 0.02)
        self.bias = nn.Parameter(torch.zeros(n_out))

    def forward(self, x):
        return x @ self.weight + self.bias


class LoRA(nn.Module):
    def __init__(self, base, r=8, alpha=16, dropout=0.05):
        super().__init__()
        self.base = base
        n_in, n_out = base.weight.shape
        self.A = nn.Parameter(torch.empty(r, n_in).uniform_(-1 / math.sqrt(n_in), 1 / math.sqrt(n_in)))
        self.B = nn.Parameter(torch.zeros(n_out, r))
        self.scaling = alpha / r
        self.drop = nn.Dropout(dropout)

    def forward(self, x):
        return self.base(x) + (self.drop(x) @ self.A.t() @ self.B.t()) * self.scaling


HAS_SDPA = hasattr(F, "scaled_dot_product_attention")
_causal = {}


def causal_attention(q, k, v):
    """Causal self-attention, q/k/v [B, H, T, hd] -> [B, H, T, hd]."""
    if HAS_SDPA:
        return F.scaled_dot_product_attention(q, k, v, is_causal=True)
    T = q.shape[-2]
    if T not in _causal:
        _causal[T] = torch.ones(T, T, dtype=torch.bool).triu(1)
    att = (q @ k.transpose(-2, -1)) * (1.0 / math.sqrt(q.shape[-1]))
    return att.masked_fill(_causal[T], float("-inf")).softmax(dim=-1) @ v


class Block(nn.Module):
    def __init__(self, d, h):
        super().__init__()
        self.h = h
        self.ln_1, self.ln_2 = nn.LayerNorm(d), nn.LayerNorm(d)
        self.c_attn, self.c_proj = Conv1D(d, 3 * d), Conv1D(d, d)
        self.c_fc, self.mlp_proj = Conv1D(d, 4 * d), Conv1D(4 * d, d)

    def forward(self, x):
        B, T, d = x.shape
        q, k, v = self.c_attn(self.ln_1(x)).split(d, dim=2)
        q, k, v = (t.view(B, T, self.h, d // self.h).transpose(1, 2) for t in (q, k, v))
        y = causal_attention(q, k, v)
        x = x + self.c_proj(y.transpose(1, 2).reshape(B, T, d))
        return x + self.mlp_proj(F.gelu(self.c_fc(self.ln_2(x)), approximate="tanh"))


class GPT2(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.wte = nn.Embedding(c["vocabSize"], c["nEmbd"])
        self.wpe = nn.Embedding(c["nCtx"], c["nEmbd"])
        self.h = nn.ModuleList([Block(c["nEmbd"], c["nHead"]) for _ in range(c["nLayer"])])
        self.ln_f = nn.LayerNorm(c["nEmbd"])

    def forward(self, ids):
        x = self.wte(ids) + self.wpe(torch.arange(ids.shape[1]))
        for b in self.h:
            x = b(x)
        return self.ln_f(x) @ self.wte.weight.t()


def run(case, method, repeats):
    torch.manual_seed(1)
    m = GPT2(case)
    if method == "lora":
        for p in m.parameters():
            p.requires_grad_(False)
        for b in m.h:
            b.c_attn = LoRA(b.c_attn)
    params = [p for p in m.parameters() if p.requires_grad]
    opt = torch.optim.AdamW(params, lr=1e-4, weight_decay=0.01)
    B, T, V = case["batch"], case["seq"], case["vocabSize"]
    times = []
    for r in range(repeats + 1):
        t = time.perf_counter()
        ids = torch.randint(0, V - 1, (B, T))
        tg = torch.randint(0, V - 1, (B * T,))
        loss = F.cross_entropy(m(ids).view(B * T, V), tg)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(params, 1.0)
        opt.step()
        if r > 0:
            times.append(time.perf_counter() - t)
    times.sort()
    return B * T / times[len(times) // 2]


def blas_libraries():
    """Shared libraries named like a BLAS that this process has mapped (Linux /proc/self/maps)."""
    torch.ones(64, 64) @ torch.ones(64, 64)
    try:
        with open("/proc/self/maps") as f:
            paths = {line.split()[-1] for line in f if "blas" in line.lower() and "/" in line}
    except OSError:
        return []
    return sorted(paths)


def main():
    spec = json.loads(sys.argv[1])
    rows = []
    for case in spec["cases"]:
        for method in spec["methods"]:
            rows.append({"case": case["name"], "method": method, "tokensPerSecond": run(case, method, spec["repeats"])})
    print(json.dumps({"rows": rows, "torch": torch.__version__, "threads": torch.get_num_threads(), "blas": blas_libraries(), "attention": "sdpa" if HAS_SDPA else "explicit"}))


if __name__ == "__main__":
    main()
