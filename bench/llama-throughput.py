"""PyTorch counterpart of bench/train-throughput.ts: the same GPT-2 shapes (learned positions,
pre-LayerNorm, GELU tanh, tied embeddings, biases), AdamW, LoRA on c_attn (r 8, alpha 16, dropout
0.05), batch of random tokens, one thread. Prints a JSON list of {case, method, tokensPerSecond}.

Called by the TypeScript bench with one JSON argument: {"cases": [...], "methods": [...], "repeats": n}.

With {"llama": [...], "repeats": n} it measures the Llama-architecture cases instead (SmolLM2-135M
shape: RMSNorm, rotary embeddings, grouped-query attention, SwiGLU, tied embeddings; explicit
attention, so torch 1.13 runs it): forward tokens/s (1 x seq), LoRA training tokens/s (all seven
linear modules, r 8, alpha 16, dropout 0.05, AdamW), prefill and greedy generation tokens/s with a
KV cache, peak RSS. Prints a JSON list of rows.
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
        if hasattr(F, "scaled_dot_product_attention"):
            y = F.scaled_dot_product_attention(q, k, v, is_causal=True)
        else:  # torch < 2.0
            att = (q @ k.transpose(2, 3)) / math.sqrt(d // self.h) + torch.full((T, T), float("-inf")).triu(1)
            y = att.softmax(-1) @ v
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
        if past is not None:
            k, v = torch.cat([past[0], k], 2), torch.cat([past[1], v], 2)
        present = (k, v)
        S = k.shape[2]
        rep = self.H // self.KV
        kk, vv = k.repeat_interleave(rep, 1), v.repeat_interleave(rep, 1)
        att = (q @ kk.transpose(2, 3)) / math.sqrt(self.hd)
        if T > 1:
            att = att + torch.full((T, S), float("-inf")).triu(S - T + 1)
        y = (att.softmax(-1) @ vv).transpose(1, 2).reshape(B, T, self.H * self.hd)
        x = x + self.o_proj(y)
        h = self.post_attention_layernorm(x)
        return x + self.down_proj(F.silu(self.gate_proj(h)) * self.up_proj(h)), present


class Llama(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.c = c
        self.embed_tokens = nn.Embedding(c["vocab_size"], c["hidden_size"])
        self.layers = nn.ModuleList([LlamaBlock(c) for _ in range(c["num_hidden_layers"])])
        self.norm = RMSNorm(c["hidden_size"], c["rms_norm_eps"])
        hd = c["hidden_size"] // c["num_attention_heads"]
        self.inv_freq = 1.0 / (c.get("rope_theta", 10000.0) ** (torch.arange(0, hd, 2).float() / hd))

    def forward(self, ids, past=None):
        B, T = ids.shape
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


def peak_rss_bytes():
    import resource
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024


def run_llama(case, repeats):
    torch.manual_seed(1)
    c, T = case["hf"], case["seq"]
    V = c["vocab_size"]
    m = Llama(c)
    with torch.no_grad():
        for p in m.parameters():
            if p.dim() > 1:
                p.normal_(0, 0.02)
    fwd = []
    with torch.no_grad():
        for r in range(repeats + 1):
            ids = torch.randint(0, V - 1, (1, T))
            t = time.perf_counter()
            m(ids)
            if r > 0:
                fwd.append(time.perf_counter() - t)
    prefill, gen = [], []
    with torch.no_grad():
        for r in range(2):
            ids = torch.randint(0, V - 1, (1, case["prompt"]))
            t = time.perf_counter()
            logits, past = m(ids)
            nxt = logits[:, -1].argmax(-1, keepdim=True)
            tp = time.perf_counter() - t
            t = time.perf_counter()
            for _ in range(case["newTokens"] - 1):
                logits, past = m(nxt, past)
                nxt = logits[:, -1].argmax(-1, keepdim=True)
            tg = time.perf_counter() - t
            if r > 0:
                prefill.append(tp)
                gen.append(tg / (case["newTokens"] - 1))
    for p in m.parameters():
        p.requires_grad_(False)
    for layer in m.layers:
        for name in ["q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj"]:
            base = getattr(layer, name)
            wrapped = LoRA(base)
            # nn.Linear keeps [out, in]; the LoRA class above was written for [in, out] Conv1D weights
            n_out, n_in = base.weight.shape
            wrapped.A = nn.Parameter(torch.empty(8, n_in).uniform_(-1 / math.sqrt(n_in), 1 / math.sqrt(n_in)))
            wrapped.B = nn.Parameter(torch.zeros(n_out, 8))
            setattr(layer, name, wrapped)
    params = [p for p in m.parameters() if p.requires_grad]
    opt = torch.optim.AdamW(params, lr=1e-4, weight_decay=0.01)
    steps = []
    TT = case.get("trainSeq", T)
    for r in range(repeats + 1):
        t = time.perf_counter()
        ids = torch.randint(0, V - 1, (1, TT))
        tg = torch.randint(0, V - 1, (TT,))
        loss = F.cross_entropy(m(ids)[0].view(TT, V), tg)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(params, 1.0)
        opt.step()
        if r > 0:
            steps.append(time.perf_counter() - t)
    med = lambda xs: sorted(xs)[len(xs) // 2]
    return {
        "case": case["name"],
        "forwardTokensPerSecond": T / med(fwd),
        "loraTrainTokensPerSecond": TT / med(steps),
        "loraTrainableParams": sum(p.numel() for p in params),
        "prefillTokensPerSecond": case["prompt"] / med(prefill),
        "generateTokensPerSecond": 1 / med(gen),
        "peakRssBytes": peak_rss_bytes(),
        "torch": torch.__version__,
    }


def main():
    spec = json.loads(sys.argv[1])
    if "llama" in spec:
        print(json.dumps([run_llama(case, spec["repeats"]) for case in spec["llama"]]))
        return
    rows = []
    for case in spec["cases"]:
        for method in spec["methods"]:
            rows.append({"case": case["name"], "method": method, "tokensPerSecond": run(case, method, spec["repeats"])})
    print(json.dumps(rows))


if __name__ == "__main__":
    main()
