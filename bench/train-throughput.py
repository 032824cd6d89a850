"""PyTorch counterpart of bench/train-throughput.ts: the same shapes, AdamW, LoRA (r 8, alpha 16,
dropout 0.05), batches of random tokens, one thread, for both architectures the TypeScript bench
runs:

- `gpt2`: learned positions, pre-LayerNorm, GELU tanh, tied embeddings, biases, Conv1D weights
  [in, out]; LoRA on `c_attn` (PEFT's GPT-2 default).
- `llama`: RMSNorm, rotary embeddings, grouped-query attention, SwiGLU, tied embeddings, nn.Linear
  weights [out, in] without biases; LoRA on all seven linear modules of each layer (`all-linear`).

Measures (each case lists the ones asked): `full` / `lora` training steps (tokens/s of batch x seq:
forward, backward, global-norm clipping, AdamW), `forward` (logits of 1 x inference seq, no grad),
`prefill` (a prompt into the KV cache) and `generate` (greedy, one token at a time with the KV
cache). Every model has a KV cache, so every measure runs on every architecture.

Runs on torch 1.13 (Debian's python3-torch) too: without F.scaled_dot_product_attention (torch >= 2.0)
attention is computed explicitly (QK^T / sqrt(d), causal mask, softmax, times V: the same math).
Thread count: torch.set_num_threads(1) here; the TypeScript bench also sets OPENBLAS_NUM_THREADS=1 and
OMP_NUM_THREADS=1 in this process's environment, since Debian's torch calls whatever BLAS
libblas.so.3 points to.

Called by the TypeScript bench with one JSON argument: {"cases": [{name, arch, hf (config.json
fields), batch, seq, repeats, measures, inference?: {seq, prompt, newTokens}}]}. Prints one JSON
object: {"rows": [{case, measure, tokensPerSecond}], "peakRssBytes": {case: bytes}, "torch": version,
"threads": n, "blas": [shared libraries with "blas" in their path that the process mapped after a
matmul], "attention": "sdpa" | "explicit"}.
"""
import json
import math
import resource
import sys
import time

import torch
import torch.nn as nn
import torch.nn.functional as F

torch.set_num_threads(1)


class Conv1D(nn.Module):
    """GPT-2's linear layer: weight [in, out], y = x W + b."""

    def __init__(self, n_in, n_out):
        super().__init__()
        self.weight = nn.Parameter(torch.randn(n_in, n_out) * 0.02)
        self.bias = nn.Parameter(torch.zeros(n_out))

    def forward(self, x):
        return x @ self.weight + self.bias


class LoRA(nn.Module):
    """W x + (alpha / r) B A dropout(x) around a frozen base (Conv1D [in, out] or nn.Linear [out, in])."""

    def __init__(self, base, r=8, alpha=16, dropout=0.05):
        super().__init__()
        self.base = base
        n_in, n_out = base.weight.shape if isinstance(base, Conv1D) else base.weight.shape[::-1]
        self.A = nn.Parameter(torch.empty(r, n_in).uniform_(-1 / math.sqrt(n_in), 1 / math.sqrt(n_in)))
        self.B = nn.Parameter(torch.zeros(n_out, r))
        self.scaling = alpha / r
        self.drop = nn.Dropout(dropout)

    def forward(self, x):
        return self.base(x) + (self.drop(x) @ self.A.t() @ self.B.t()) * self.scaling


HAS_SDPA = hasattr(F, "scaled_dot_product_attention")
_causal = {}


def causal_attention(q, k, v):
    """Causal self-attention, q [B, H, T, hd], k/v [B, H, S, hd] (S - T cached positions first) -> [B, H, T, hd]."""
    T, S = q.shape[-2], k.shape[-2]
    if T == 1:  # one new token sees every cached position
        return (q @ k.transpose(-2, -1) * (1.0 / math.sqrt(q.shape[-1]))).softmax(dim=-1) @ v
    if HAS_SDPA and S == T:
        return F.scaled_dot_product_attention(q, k, v, is_causal=True)
    if (T, S) not in _causal:
        _causal[(T, S)] = torch.ones(T, S, dtype=torch.bool).triu(S - T + 1)
    att = (q @ k.transpose(-2, -1)) * (1.0 / math.sqrt(q.shape[-1]))
    return att.masked_fill(_causal[(T, S)], float("-inf")).softmax(dim=-1) @ v


def with_past(k, v, past):
    return (k, v) if past is None else (torch.cat([past[0], k], 2), torch.cat([past[1], v], 2))


class GPT2Block(nn.Module):
    def __init__(self, d, h):
        super().__init__()
        self.h = h
        self.ln_1, self.ln_2 = nn.LayerNorm(d), nn.LayerNorm(d)
        self.c_attn, self.c_proj = Conv1D(d, 3 * d), Conv1D(d, d)
        self.c_fc, self.mlp_proj = Conv1D(d, 4 * d), Conv1D(4 * d, d)

    def forward(self, x, past=None):
        B, T, d = x.shape
        q, k, v = self.c_attn(self.ln_1(x)).split(d, dim=2)
        q, k, v = (t.view(B, T, self.h, d // self.h).transpose(1, 2) for t in (q, k, v))
        k, v = with_past(k, v, past)
        y = causal_attention(q, k, v)
        x = x + self.c_proj(y.transpose(1, 2).reshape(B, T, d))
        return x + self.mlp_proj(F.gelu(self.c_fc(self.ln_2(x)), approximate="tanh")), (k, v)


class GPT2(nn.Module):
    lora_targets = ["c_attn"]

    def __init__(self, c):
        super().__init__()
        self.vocab = c["vocab_size"]
        self.wte = nn.Embedding(c["vocab_size"], c["n_embd"])
        self.wpe = nn.Embedding(c["n_positions"], c["n_embd"])
        self.layers = nn.ModuleList([GPT2Block(c["n_embd"], c["n_head"]) for _ in range(c["n_layer"])])
        self.ln_f = nn.LayerNorm(c["n_embd"])

    def forward(self, ids, past=None):
        """ids [B, T] -> logits [B, T, V] and the updated cache (per layer (k, v), [B, H, S, hd])."""
        start = 0 if past is None else past[0][0].shape[2]
        x = self.wte(ids) + self.wpe(torch.arange(start, start + ids.shape[1]))
        presents = []
        for i, b in enumerate(self.layers):
            x, pr = b(x, None if past is None else past[i])
            presents.append(pr)
        return self.ln_f(x) @ self.wte.weight.t(), presents


class RMSNorm(nn.Module):
    def __init__(self, d, eps):
        super().__init__()
        self.weight = nn.Parameter(torch.ones(d))
        self.eps = eps

    def forward(self, x):
        return self.weight * (x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + self.eps))


def rotate_half(x):
    h = x.shape[-1] // 2
    return torch.cat((-x[..., h:], x[..., :h]), dim=-1)


class LlamaBlock(nn.Module):
    def __init__(self, c):
        super().__init__()
        d, self.H, self.KV = c["hidden_size"], c["num_attention_heads"], c["num_key_value_heads"]
        self.hd = d // self.H
        I = c["intermediate_size"]
        lin = lambda i, o: nn.Linear(i, o, bias=False)
        self.q_proj, self.k_proj, self.v_proj, self.o_proj = lin(d, self.H * self.hd), lin(d, self.KV * self.hd), lin(d, self.KV * self.hd), lin(self.H * self.hd, d)
        self.gate_proj, self.up_proj, self.down_proj = lin(d, I), lin(d, I), lin(I, d)
        self.input_layernorm, self.post_attention_layernorm = RMSNorm(d, c["rms_norm_eps"]), RMSNorm(d, c["rms_norm_eps"])

    def forward(self, x, cos, sin, past=None):
        B, T, d = x.shape
        h = self.input_layernorm(x)
        q = self.q_proj(h).view(B, T, self.H, self.hd).transpose(1, 2)
        k = self.k_proj(h).view(B, T, self.KV, self.hd).transpose(1, 2)
        v = self.v_proj(h).view(B, T, self.KV, self.hd).transpose(1, 2)
        q, k = q * cos + rotate_half(q) * sin, k * cos + rotate_half(k) * sin
        k, v = with_past(k, v, past)
        rep = self.H // self.KV
        y = causal_attention(q, k.repeat_interleave(rep, 1), v.repeat_interleave(rep, 1))
        x = x + self.o_proj(y.transpose(1, 2).reshape(B, T, self.H * self.hd))
        h = self.post_attention_layernorm(x)
        return x + self.down_proj(F.silu(self.gate_proj(h)) * self.up_proj(h)), (k, v)


class Llama(nn.Module):
    lora_targets = ["q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj"]

    def __init__(self, c):
        super().__init__()
        self.vocab = c["vocab_size"]
        self.embed_tokens = nn.Embedding(c["vocab_size"], c["hidden_size"])
        self.layers = nn.ModuleList([LlamaBlock(c) for _ in range(c["num_hidden_layers"])])
        self.norm = RMSNorm(c["hidden_size"], c["rms_norm_eps"])
        hd = c["hidden_size"] // c["num_attention_heads"]
        self.inv_freq = 1.0 / (c.get("rope_theta", 10000.0) ** (torch.arange(0, hd, 2).float() / hd))
        with torch.no_grad():
            for p in self.parameters():
                if p.dim() > 1:
                    p.normal_(0, 0.02)

    def forward(self, ids, past=None):
        """ids [B, T] -> logits [B, T, V] and the updated cache (per layer (k, v), [B, KV, S, hd])."""
        T = ids.shape[1]
        start = 0 if past is None else past[0][0].shape[2]
        freqs = torch.arange(start, start + T).float()[:, None] * self.inv_freq[None, :]
        emb = torch.cat((freqs, freqs), -1)
        cos, sin = emb.cos()[None, None], emb.sin()[None, None]
        x = self.embed_tokens(ids)
        presents = []
        for i, layer in enumerate(self.layers):
            x, pr = layer(x, cos, sin, None if past is None else past[i])
            presents.append(pr)
        return self.norm(x) @ self.embed_tokens.weight.t(), presents


ARCHITECTURES = {"gpt2": GPT2, "llama": Llama}


def median(xs):
    return sorted(xs)[len(xs) // 2]


def train_tokens_per_second(m, method, B, T, repeats):
    """One training step per repeat after a warm-up: tokens/s of B x T, median."""
    if method == "lora":
        for p in m.parameters():
            p.requires_grad_(False)
        for layer in m.layers:
            for name in m.lora_targets:
                setattr(layer, name, LoRA(getattr(layer, name)))
    params = [p for p in m.parameters() if p.requires_grad]
    opt = torch.optim.AdamW(params, lr=1e-4, weight_decay=0.01)
    V = m.vocab
    times = []
    for r in range(repeats + 1):
        t = time.perf_counter()
        ids = torch.randint(0, V - 1, (B, T))
        tg = torch.randint(0, V - 1, (B * T,))
        loss = F.cross_entropy(m(ids)[0].view(B * T, V), tg)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(params, 1.0)
        opt.step()
        if r > 0:
            times.append(time.perf_counter() - t)
    return B * T / median(times)


@torch.no_grad()
def inference_tokens_per_second(m, inf, repeats):
    """{forward, prefill, generate} tokens/s: logits of 1 x seq; a prompt into the cache; greedy steps."""
    V = m.vocab
    fwd, prefill, gen = [], [], []
    for r in range(repeats + 1):
        ids = torch.randint(0, V - 1, (1, inf["seq"]))
        t = time.perf_counter()
        m(ids)
        if r > 0:
            fwd.append(time.perf_counter() - t)
    for r in range(2):
        ids = torch.randint(0, V - 1, (1, inf["prompt"]))
        t = time.perf_counter()
        logits, past = m(ids)
        nxt = logits[:, -1].argmax(-1, keepdim=True)
        tp = time.perf_counter() - t
        t = time.perf_counter()
        for _ in range(inf["newTokens"] - 1):
            logits, past = m(nxt, past)
            nxt = logits[:, -1].argmax(-1, keepdim=True)
        tg = time.perf_counter() - t
        if r > 0:
            prefill.append(tp)
            gen.append(tg / (inf["newTokens"] - 1))
    return {"forward": inf["seq"] / median(fwd), "prefill": inf["prompt"] / median(prefill), "generate": 1 / median(gen)}


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
    rows, peak = [], {}
    for case in spec["cases"]:

        def build():
            torch.manual_seed(1)
            return ARCHITECTURES[case["arch"]](case["hf"])

        measures = case["measures"]
        if case.get("inference") and any(k in measures for k in ("forward", "prefill", "generate")):
            got = inference_tokens_per_second(build(), case["inference"], case["repeats"])
            rows += [{"case": case["name"], "measure": k, "tokensPerSecond": v} for k, v in got.items() if k in measures]
        for method in (m for m in measures if m in ("full", "lora")):
            rows.append({"case": case["name"], "measure": method, "tokensPerSecond": train_tokens_per_second(build(), method, case["batch"], case["seq"], case["repeats"])})
        peak[case["name"]] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    print(json.dumps({"rows": rows, "peakRssBytes": peak, "torch": torch.__version__, "threads": torch.get_num_threads(), "blas": blas_libraries(), "attention": "sdpa" if HAS_SDPA else "explicit"}))


if __name__ == "__main__":
    main()
