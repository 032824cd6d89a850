/**
 * Kernels fte registers on top of @tensorflow/tfjs-backend-wasm (4.22).
 *
 * The stock wasm `Slice` reads its input with `backend.readSync`, which copies the WHOLE input
 * tensor out of the wasm heap on every call; `SplitV` and `Unpack` call that slice once per output,
 * so unstacking a [32, 256, 256] tensor copied 32 x 8 MB (measured: ~390 ms instead of ~3 ms).
 * These replacements copy only the requested region, reading the heap through views.
 *
 * The stock wasm `Identity` copies its input. The engine calls it (through `clone`) for every tensor
 * a kernel saves for its gradient, so a training step copied ~1,200 activations. The replacement
 * shares the data and bumps its reference count, as the CPU backend's Identity does (no kernel
 * writes into an existing tensor's memory, so sharing is safe).
 * Same semantics as the stock kernels (float32/int32/bool; strings fall back to the stock kernel).
 */
import * as tf from '@tensorflow/tfjs-core';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type WasmBackend = any;
interface Info { dataId: object; shape: number[]; dtype: tf.DataType }

/** Copy x[begin : begin + size] into a new output of shape `outShape` (same element count). */
function sliceInto(backend: WasmBackend, x: Info, begin: number[], size: number[], outShape: number[]): Info {
  const out = backend.makeOutput(outShape, x.dtype) as Info;
  const n = size.reduce((a, b) => a * b, 1);
  if (n === 0) return out;
  // Views are taken after makeOutput: growing the heap detaches older views.
  const xv = backend.typedArrayFromHeap(x) as Float32Array;
  const ov = backend.typedArrayFromHeap(out) as Float32Array;
  const r = x.shape.length;
  const strides = new Array<number>(r);
  strides[r - 1] = 1;
  for (let i = r - 2; i >= 0; i--) strides[i] = strides[i + 1]! * x.shape[i + 1]!;
  // Merge trailing dims that are taken whole into one contiguous run.
  let inner = r - 1;
  let run = size[r - 1]!;
  while (inner > 0 && size[inner] === x.shape[inner] && begin[inner] === 0) {
    inner--;
    run *= size[inner]!;
  }
  // run = contiguous elements starting at dim `inner`; iterate dims [0, inner).
  if (inner === 0) {
    const off = begin.reduce((a, b, i) => a + b * strides[i]!, 0);
    ov.set(xv.subarray(off, off + run));
    return out;
  }
  const idx = new Array<number>(inner).fill(0);
  let o = 0;
  const tailOff = begin.slice(inner).reduce((a, b, i) => a + b * strides[inner + i]!, 0);
  for (;;) {
    let off = tailOff;
    for (let d = 0; d < inner; d++) off += (begin[d]! + idx[d]!) * strides[d]!;
    ov.set(xv.subarray(off, off + run), o);
    o += run;
    let d = inner - 1;
    while (d >= 0) {
      idx[d]!++;
      if (idx[d]! < size[d]!) break;
      idx[d] = 0;
      d--;
    }
    if (d < 0) break;
  }
  return out;
}

let registered = false;

/** Replace wasm Slice, SplitV and Unpack with the copy-only-what-is-needed versions. Idempotent. */
export function registerWasmKernels(): void {
  if (registered) return;
  const stock = {
    Slice: tf.getKernel('Slice', 'wasm'),
    SplitV: tf.getKernel('SplitV', 'wasm'),
    Unpack: tf.getKernel('Unpack', 'wasm'),
    Identity: tf.getKernel('Identity', 'wasm'),
  };
  if (!stock.Slice || !stock.SplitV || !stock.Unpack || !stock.Identity) return;
  type Args = { inputs: Record<string, Info>; backend: WasmBackend; attrs: Record<string, unknown> };
  const replace = (name: keyof typeof stock, fn: (a: Args) => Info | Info[]) => {
    tf.unregisterKernel(name, 'wasm');
    tf.registerKernel({
      kernelName: name,
      backendName: 'wasm',
      kernelFunc: ((a: Args) => {
        const x = (a.inputs.x ?? a.inputs.value)!;
        if (x.dtype === 'string') return stock[name]!.kernelFunc(a as never);
        return fn(a);
      }) as unknown as tf.KernelFunc,
    });
  };
  replace('Slice', ({ inputs: { x }, backend, attrs }) => {
    const [b, s] = tf.slice_util.parseSliceParams(x as unknown as tf.TensorInfo, attrs.begin as number[], attrs.size as number[]);
    return sliceInto(backend, x!, b, s, s);
  });
  replace('SplitV', ({ inputs: { x }, backend, attrs }) => {
    const axis = tf.util.parseAxisParam(attrs.axis as number, x!.shape)[0]!;
    const sizes = tf.backend_util.prepareSplitSize(x as unknown as tf.Tensor, attrs.numOrSizeSplits as number[], axis) as number[];
    const begin = new Array<number>(x!.shape.length).fill(0);
    return sizes.map((s) => {
      const size = [...x!.shape];
      size[axis] = s;
      const o = sliceInto(backend, x!, [...begin], size, size);
      begin[axis]! += s;
      return o;
    });
  });
  replace('Unpack', ({ inputs: { value }, backend, attrs }) => {
    const rank = value!.shape.length;
    const axis = ((attrs.axis as number) + rank) % rank;
    const outShape = value!.shape.filter((_, i) => i !== axis);
    const size = [...value!.shape];
    size[axis] = 1;
    const outs: Info[] = [];
    for (let i = 0; i < value!.shape[axis]!; i++) {
      const begin = new Array<number>(rank).fill(0);
      begin[axis] = i;
      outs.push(sliceInto(backend, value!, begin, size, outShape));
    }
    return outs;
  });
  replace('Identity', ({ inputs: { x }, backend }) => {
    backend.incRef(x!.dataId);
    return { dataId: x!.dataId, shape: x!.shape, dtype: x!.dtype };
  });
  registered = true;
}
