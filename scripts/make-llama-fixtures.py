#!/usr/bin/env python3
"""
Tiny random Llama-family checkpoints in Hugging Face layout, with reference logits from a plain
PyTorch forward pass written here from the semantics of transformers' modeling_llama.py /
modeling_qwen2.py / modeling_mistral.py (transformers itself is not used):

  - RMSNorm: x.float() * rsqrt(mean(x^2) + eps), cast back, times the weight
  - rotary embeddings, rotate-half layout: inv_freq = 1 / theta^(arange(0, d, 2) / d),
    emb = cat(freqs, freqs), q' = q cos + rotate_half(q) sin, rotate_half(x) = cat(-x2, x1);
    rope_scaling `llama3` (factor, low_freq_factor, high_freq_factor, original_max_position_embeddings)
    and `linear` (inv_freq / factor)
  - grouped-query attention (repeat_kv), scale head_dim^-0.5, causal mask (+ Mistral's sliding window)
  - SwiGLU MLP: down(silu(gate(x)) * up(x))
  - optional q/k/v biases (Qwen2), tied or untied lm_head

Writes test/fixtures/llama/<name>/: config.json, model.safetensors (or shards + index), and
reference.json { input_ids [B][T], logits [B][T][V] (float32), greedy: { prompt, tokens } }.
The fixtures are committed so the TypeScript tests run without Python.

Run: /usr/bin/python3 scripts/make-llama-fixtures.py   (needs only torch; Debian's python3-torch works)
"""
import json
import math
import os
import struct

import torch

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'test', 'fixtures', 'llama')


# ---------------------------------------------------------------- safetensors writer
def st_bytes(t, dtype):
    if dtype == 'F32':
        return t.to(torch.float32).contiguous().numpy().tobytes()
    if dtype == 'F16':
        return t.to(torch.float16).contiguous().numpy().tobytes()
    if dtype == 'BF16':
        return t.to(torch.bfloat16).contiguous().view(torch.int16).numpy().tobytes()
    if dtype == 'I32':
        return t.to(torch.int32).contiguous().numpy().tobytes()
    raise ValueError(dtype)


def write_safetensors(path, tensors, dtype):
    header = {'__metadata__': {'format': 'pt'}}
    blobs = []
    off = 0
    for name in sorted(tensors):
        b = st_bytes(tensors[name], dtype)
        header[name] = {'dtype': dtype, 'shape': list(tensors[name].shape), 'data_offsets': [off, off + len(b)]}
        blobs.append(b)
        off += len(b)
    h = json.dumps(header, separators=(',', ':')).encode()
    h += b' ' * ((8 - (8 + len(h)) % 8) % 8)
    with open(path, 'wb') as f:
        f.write(struct.pack('<Q', len(h)))
        f.write(h)
        for b in blobs:
            f.write(b)
    return off


# ---------------------------------------------------------------- the reference model
def head_dim(cfg):
    return cfg.get('head_dim') or cfg['hidden_size'] // cfg['num_attention_heads']


def inv_freq_of(cfg):
    hd = head_dim(cfg)
    base = cfg.get('rope_theta', 10000.0)
    inv = 1.0 / (base ** (torch.arange(0, hd, 2, dtype=torch.int64).float() / hd))
    rs = cfg.get('rope_scaling')
    if rs:
        kind = rs.get('rope_type', rs.get('type'))
        if kind == 'llama3':
            factor = rs['factor']
            lff = rs['low_freq_factor']
            hff = rs['high_freq_factor']
            old = rs['original_max_position_embeddings']
            low_wl = old / lff
            high_wl = old / hff
            wavelen = 2 * math.pi / inv
            inv_l = torch.where(wavelen > low_wl, inv / factor, inv)
            smooth = (old / wavelen - lff) / (hff - lff)
            smoothed = (1 - smooth) * inv_l / factor + smooth * inv_l
            is_medium = ~(wavelen < high_wl) * ~(wavelen > low_wl)
            inv = torch.where(is_medium, smoothed, inv_l)
        elif kind == 'linear':
            inv = inv / rs['factor']
        else:
            raise ValueError(kind)
    return inv


def rms_norm(x, w, eps):
    dt = x.dtype
    h = x.to(torch.float32)
    h = h * torch.rsqrt(h.pow(2).mean(-1, keepdim=True) + eps)
    return w * h.to(dt)


def rotate_half(x):
    x1 = x[..., : x.shape[-1] // 2]
    x2 = x[..., x.shape[-1] // 2:]
    return torch.cat((-x2, x1), dim=-1)


def repeat_kv(x, n):
    b, kv, s, d = x.shape
    if n == 1:
        return x
    return x[:, :, None, :, :].expand(b, kv, n, s, d).reshape(b, kv * n, s, d)


def linear(W, name, x):
    y = x @ W[name + '.weight'].T
    if name + '.bias' in W:
        y = y + W[name + '.bias']
    return y


def forward(W, cfg, ids):
    """ids LongTensor [B, T] (no padding) -> logits [B, T, V] in float32."""
    B, T = ids.shape
    H = cfg['num_attention_heads']
    KV = cfg.get('num_key_value_heads') or H
    hd = head_dim(cfg)
    eps = cfg['rms_norm_eps']
    x = W['model.embed_tokens.weight'][ids]
    pos = torch.arange(T)[None, :].expand(B, T).float()
    freqs = pos[:, :, None] * inv_freq_of(cfg)[None, None, :]
    emb = torch.cat((freqs, freqs), dim=-1)
    cos = emb.cos()[:, None, :, :]
    sin = emb.sin()[:, None, :, :]
    mask = torch.zeros(T, T)
    for i in range(T):
        for j in range(T):
            sw = cfg.get('sliding_window') if cfg.get('use_sliding_window', True) else None
            if j > i or (sw is not None and i - j >= sw):
                mask[i, j] = float('-inf')
    for l in range(cfg['num_hidden_layers']):
        p = f'model.layers.{l}.'
        h = rms_norm(x, W[p + 'input_layernorm.weight'], eps)
        q = linear(W, p + 'self_attn.q_proj', h).view(B, T, H, hd).transpose(1, 2)
        k = linear(W, p + 'self_attn.k_proj', h).view(B, T, KV, hd).transpose(1, 2)
        v = linear(W, p + 'self_attn.v_proj', h).view(B, T, KV, hd).transpose(1, 2)
        q = q * cos + rotate_half(q) * sin
        k = k * cos + rotate_half(k) * sin
        k = repeat_kv(k, H // KV)
        v = repeat_kv(v, H // KV)
        att = (q @ k.transpose(2, 3)) * hd ** -0.5 + mask
        att = torch.softmax(att.float(), dim=-1).to(q.dtype)
        o = (att @ v).transpose(1, 2).reshape(B, T, H * hd)
        x = x + linear(W, p + 'self_attn.o_proj', o)
        h = rms_norm(x, W[p + 'post_attention_layernorm.weight'], eps)
        g = linear(W, p + 'mlp.gate_proj', h)
        x = x + linear(W, p + 'mlp.down_proj', torch.nn.functional.silu(g) * linear(W, p + 'mlp.up_proj', h))
    x = rms_norm(x, W['model.norm.weight'], eps)
    head = W['model.embed_tokens.weight'] if cfg.get('tie_word_embeddings') else W['lm_head.weight']
    return x @ head.T


def greedy(W, cfg, prompt, n):
    ids = list(prompt)
    out = []
    for _ in range(n):
        logits = forward(W, cfg, torch.tensor([ids]))[0, -1]
        top = torch.topk(logits, 2).values
        t = int(torch.argmax(logits))
        out.append(t)
        ids.append(t)
        # a near-tie would make the fixture fragile across float orders
        assert float(top[0] - top[1]) > 1e-3, f'near tie in greedy decoding ({float(top[0] - top[1])})'
    return out


# ---------------------------------------------------------------- random checkpoints
def random_weights(cfg, seed):
    g = torch.Generator().manual_seed(seed)
    d = cfg['hidden_size']
    H = cfg['num_attention_heads']
    KV = cfg.get('num_key_value_heads') or H
    hd = head_dim(cfg)
    I = cfg['intermediate_size']
    V = cfg['vocab_size']
    qkv_bias = cfg['model_type'] == 'qwen2' or cfg.get('attention_bias', False)
    o_bias = cfg['model_type'] != 'qwen2' and cfg.get('attention_bias', False)
    mlp_bias = cfg.get('mlp_bias', False)

    def rn(*shape, std=1.0):
        return torch.randn(*shape, generator=g) * std

    # Tied heads score with the embedding itself: a smaller scale keeps the logits near O(1-10).
    W = {'model.embed_tokens.weight': rn(V, d, std=0.25 if cfg.get('tie_word_embeddings') else 1.0)}
    for l in range(cfg['num_hidden_layers']):
        p = f'model.layers.{l}.'
        W[p + 'input_layernorm.weight'] = 1 + rn(d, std=0.1)
        W[p + 'post_attention_layernorm.weight'] = 1 + rn(d, std=0.1)
        for name, o, i in [('self_attn.q_proj', H * hd, d), ('self_attn.k_proj', KV * hd, d), ('self_attn.v_proj', KV * hd, d),
                           ('self_attn.o_proj', d, H * hd), ('mlp.gate_proj', I, d), ('mlp.up_proj', I, d), ('mlp.down_proj', d, I)]:
            W[p + name + '.weight'] = rn(o, i, std=1 / math.sqrt(i))
            has_bias = (name in ('self_attn.q_proj', 'self_attn.k_proj', 'self_attn.v_proj') and qkv_bias) or (name == 'self_attn.o_proj' and o_bias) or (name.startswith('mlp.') and mlp_bias)
            if has_bias:
                W[p + name + '.bias'] = rn(o, std=0.1)
    W['model.norm.weight'] = 1 + rn(d, std=0.1)
    if not cfg.get('tie_word_embeddings'):
        W['lm_head.weight'] = rn(V, d, std=1 / math.sqrt(d))
    return W


def round_to(W, dtype):
    if dtype == 'F32':
        return W
    tdt = torch.float16 if dtype == 'F16' else torch.bfloat16
    return {k: v.to(tdt).to(torch.float32) for k, v in W.items()}


def save(name, cfg, seed, dtype='F32', shards=1):
    folder = os.path.join(OUT, name)
    os.makedirs(folder, exist_ok=True)
    for f in os.listdir(folder):
        os.remove(os.path.join(folder, f))
    W = round_to(random_weights(cfg, seed), dtype)
    cfg = dict(cfg, torch_dtype={'F32': 'float32', 'F16': 'float16', 'BF16': 'bfloat16'}[dtype])
    with open(os.path.join(folder, 'config.json'), 'w') as f:
        json.dump(cfg, f, indent=2)
        f.write('\n')
    if shards == 1:
        write_safetensors(os.path.join(folder, 'model.safetensors'), W, dtype)
    else:
        names = sorted(W)
        per = math.ceil(len(names) / shards)
        weight_map = {}
        total = 0
        for s in range(shards):
            fname = f'model-{s + 1:05d}-of-{shards:05d}.safetensors'
            part = {n: W[n] for n in names[s * per:(s + 1) * per]}
            total += write_safetensors(os.path.join(folder, fname), part, dtype)
            for n in part:
                weight_map[n] = fname
        with open(os.path.join(folder, 'model.safetensors.index.json'), 'w') as f:
            json.dump({'metadata': {'total_size': total}, 'weight_map': weight_map}, f, indent=2)
            f.write('\n')
    g = torch.Generator().manual_seed(seed + 1000)
    T = 12
    ids = torch.randint(0, cfg['vocab_size'], (2, T), generator=g)
    with torch.no_grad():
        logits = forward(W, cfg, ids)
        prompt = ids[0, :5].tolist()
        tokens = greedy(W, cfg, prompt, 8)
    ref = {
        'note': 'logits of a plain PyTorch float32 forward pass (scripts/make-llama-fixtures.py)',
        'input_ids': ids.tolist(),
        'logits': [[[float(v) for v in row] for row in seq] for seq in logits],
        'greedy': {'prompt': prompt, 'tokens': tokens},
    }
    with open(os.path.join(folder, 'reference.json'), 'w') as f:
        json.dump(ref, f)
        f.write('\n')
    print(name, 'params', sum(v.numel() for v in W.values()), 'max |logit|', float(logits.abs().max()))


BASE = {
    'architectures': ['LlamaForCausalLM'],
    'model_type': 'llama',
    'vocab_size': 96,
    'hidden_size': 32,
    'intermediate_size': 48,
    'num_hidden_layers': 2,
    'num_attention_heads': 4,
    'num_key_value_heads': 2,
    'max_position_embeddings': 64,
    'rms_norm_eps': 1e-5,
    'rope_theta': 10000.0,
    'hidden_act': 'silu',
    'tie_word_embeddings': False,
    'attention_bias': False,
    'mlp_bias': False,
    'bos_token_id': 1,
    'eos_token_id': 2,
}

if __name__ == '__main__':
    torch.manual_seed(0)
    # Llama: GQA (4 heads, 2 KV heads), untied head, F32, one file.
    save('llama', BASE, seed=1)
    # Qwen2: q/k/v biases, tied embeddings, 3 KV heads of 6 (head_dim 8), F16, two shards.
    save('qwen2', dict(BASE, architectures=['Qwen2ForCausalLM'], model_type='qwen2', hidden_size=48, num_attention_heads=6, num_key_value_heads=3,
                       rope_theta=1000000.0, rms_norm_eps=1e-6, tie_word_embeddings=True, use_sliding_window=False, sliding_window=4,
                       attention_bias=None, mlp_bias=None), seed=2, dtype='F16', shards=2)
    # Llama 3.x rope scaling, BF16. head_dim 16, theta 1e4: wavelengths 6.3, 19.9, 63, 199, ... against
    # original context 32 / high_freq_factor 4 = 8 and 32 / low_freq_factor 1 = 32, so the high (kept),
    # medium (smoothed) and low (divided by factor) bands are all hit.
    save('llama3-rope', dict(BASE, num_key_value_heads=1, head_dim=16, rope_theta=10000.0, max_position_embeddings=256,
                             rope_scaling={'rope_type': 'llama3', 'factor': 8.0, 'low_freq_factor': 1.0, 'high_freq_factor': 4.0, 'original_max_position_embeddings': 32},
                             bos_token_id=1, eos_token_id=[2, 3]), seed=3, dtype='BF16')
    # Mistral: explicit head_dim (16 x 4 heads != hidden 32), sliding window 5 (< the 12-token input), three shards.
    save('mistral', dict(BASE, architectures=['MistralForCausalLM'], model_type='mistral', head_dim=16, sliding_window=5, rope_theta=1000000.0), seed=4, shards=3)
