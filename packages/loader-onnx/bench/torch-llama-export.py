"""Exports a Llama decoder written in plain PyTorch to ONNX the way Hugging Face Optimum lays it
out (input_ids, attention_mask, position_ids, past_key_values.{i}.key|value in; logits and
present.{i}.key|value out), so transformers.js loads it as a LlamaForCausalLM with a KV cache.

This is the "plain export" baseline of the transformers.js bench: torch.onnx.export's tracer
with constant folding and nothing else (no fused attention, no ORT-specific ops), as a user
without an optimising exporter would have it.

Usage: python3 torch-llama-export.py <weights-dir> <output.onnx>
<weights-dir> holds config.json (Hugging Face Llama config), weights.json
([{"name", "shape", "offset"}], offsets in float32 elements) and weights.bin (float32, little
endian), all written by the bench.
"""

import json
import math
import sys

import numpy
import torch
import torch.nn.functional as functional


class Llama(torch.nn.Module):
    def __init__(self, config, tensors):
        super().__init__()
        self.hidden = config["hidden_size"]
        self.heads = config["num_attention_heads"]
        self.kv_heads = config["num_key_value_heads"]
        self.head_dim = self.hidden // self.heads
        self.layers = config["num_hidden_layers"]
        self.eps = config["rms_norm_eps"]
        theta = config.get("rope_theta", 10000.0)
        inverse = 1.0 / (theta ** (torch.arange(0, self.head_dim, 2).float() / self.head_dim))
        self.register_buffer("inverse_frequencies", inverse)
        # Parameters by their Hugging Face names ('.' is not allowed in a parameter name).
        self.weights = torch.nn.ParameterDict(
            {name.replace(".", "__"): torch.nn.Parameter(value, requires_grad=False) for name, value in tensors.items()}
        )

    def weight(self, name):
        return self.weights[name.replace(".", "__")]

    def rms_norm(self, x, name):
        variance = x.pow(2).mean(-1, keepdim=True)
        return x * torch.rsqrt(variance + self.eps) * self.weight(name)

    @staticmethod
    def rotate_half(x):
        half = x.shape[-1] // 2
        return torch.cat((-x[..., half:], x[..., :half]), dim=-1)

    def forward(self, input_ids, attention_mask, position_ids, *past):
        x = functional.embedding(input_ids, self.weight("model.embed_tokens.weight"))
        # Key k is visible to query q when its absolute index is at most q's and it is not padding.
        key_index = torch.cumsum(torch.ones_like(attention_mask), dim=1) - 1
        query_index = key_index[:, -input_ids.shape[1] :]
        visible = (key_index[:, None, :] <= query_index[:, :, None]) & (attention_mask[:, None, :] > 0)
        # float32 tensors, not Python floats: the tracer would export those as float64 constants.
        zero = torch.zeros((), dtype=torch.float32)
        lowest = torch.full((), torch.finfo(torch.float32).min, dtype=torch.float32)
        bias = torch.where(visible, zero, lowest)[:, None, :, :]
        frequencies = position_ids[:, :, None].float() * self.inverse_frequencies[None, None, :]
        angles = torch.cat((frequencies, frequencies), dim=-1)[:, None, :, :]
        cos, sin = angles.cos(), angles.sin()
        presents = []
        for layer in range(self.layers):
            prefix = f"model.layers.{layer}."
            normed = self.rms_norm(x, prefix + "input_layernorm.weight")
            batch, length = normed.shape[0], normed.shape[1]
            q = functional.linear(normed, self.weight(prefix + "self_attn.q_proj.weight"))
            k = functional.linear(normed, self.weight(prefix + "self_attn.k_proj.weight"))
            v = functional.linear(normed, self.weight(prefix + "self_attn.v_proj.weight"))
            q = q.view(batch, length, self.heads, self.head_dim).transpose(1, 2)
            k = k.view(batch, length, self.kv_heads, self.head_dim).transpose(1, 2)
            v = v.view(batch, length, self.kv_heads, self.head_dim).transpose(1, 2)
            q = q * cos + self.rotate_half(q) * sin
            k = k * cos + self.rotate_half(k) * sin
            k = torch.cat((past[2 * layer], k), dim=2)
            v = torch.cat((past[2 * layer + 1], v), dim=2)
            presents += [k, v]
            repeat = self.heads // self.kv_heads
            k = k[:, :, None, :, :].expand(-1, -1, repeat, -1, -1).flatten(1, 2)
            v = v[:, :, None, :, :].expand(-1, -1, repeat, -1, -1).flatten(1, 2)
            scores = torch.matmul(q, k.transpose(2, 3)) / math.sqrt(self.head_dim) + bias
            context = torch.matmul(torch.softmax(scores, dim=-1), v)
            context = context.transpose(1, 2).flatten(2)
            x = x + functional.linear(context, self.weight(prefix + "self_attn.o_proj.weight"))
            normed = self.rms_norm(x, prefix + "post_attention_layernorm.weight")
            gate = functional.linear(normed, self.weight(prefix + "mlp.gate_proj.weight"))
            up = functional.linear(normed, self.weight(prefix + "mlp.up_proj.weight"))
            x = x + functional.linear(functional.silu(gate) * up, self.weight(prefix + "mlp.down_proj.weight"))
        x = self.rms_norm(x, "model.norm.weight")
        head = "lm_head.weight" if self.has("lm_head.weight") else "model.embed_tokens.weight"
        return (functional.linear(x, self.weight(head)), *presents)

    def has(self, name):
        return name.replace(".", "__") in self.weights


def main():
    if len(sys.argv) != 3:
        sys.exit("usage: torch-llama-export.py <weights-dir> <output.onnx>")
    source, output = sys.argv[1], sys.argv[2]
    with open(f"{source}/config.json") as file:
        config = json.load(file)
    with open(f"{source}/weights.json") as file:
        manifest = json.load(file)
    data = numpy.fromfile(f"{source}/weights.bin", dtype="<f4")
    tensors = {}
    for entry in manifest:
        size = int(numpy.prod(entry["shape"]))
        values = data[entry["offset"] : entry["offset"] + size].reshape(entry["shape"])
        tensors[entry["name"]] = torch.from_numpy(values.copy())
    model = Llama(config, tensors).eval()
    layers, kv_heads = model.layers, model.kv_heads
    # Example with a past and more than one new token, so no axis is traced as a constant.
    past_length, length = 3, 2
    input_ids = torch.tensor([[1, 2]], dtype=torch.int64)
    attention_mask = torch.ones((1, past_length + length), dtype=torch.int64)
    position_ids = torch.tensor([[past_length, past_length + 1]], dtype=torch.int64)
    past = [torch.zeros((1, kv_heads, past_length, model.head_dim)) for _ in range(2 * layers)]
    past_names = [f"past_key_values.{layer}.{kind}" for layer in range(layers) for kind in ("key", "value")]
    present_names = [f"present.{layer}.{kind}" for layer in range(layers) for kind in ("key", "value")]
    axes = {
        "input_ids": {0: "batch_size", 1: "sequence_length"},
        "attention_mask": {0: "batch_size", 1: "total_sequence_length"},
        "position_ids": {0: "batch_size", 1: "sequence_length"},
        "logits": {0: "batch_size", 1: "sequence_length"},
    }
    for name in past_names:
        axes[name] = {0: "batch_size", 2: "past_sequence_length"}
    for name in present_names:
        axes[name] = {0: "batch_size", 2: "total_sequence_length"}
    with torch.no_grad():
        torch.onnx.export(
            model,
            (input_ids, attention_mask, position_ids, *past),
            output,
            input_names=["input_ids", "attention_mask", "position_ids", *past_names],
            output_names=["logits", *present_names],
            dynamic_axes=axes,
            opset_version=14,
            do_constant_folding=True,
        )


if __name__ == "__main__":
    main()
