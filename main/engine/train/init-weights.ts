/**
 * Fresh GPT-2 weights for training from scratch (a small config, e.g. the
 * built-in model): GPT-2's initialisation as nanoGPT does it: N(0, 0.02) for
 * matrices and embeddings, N(0, 0.02/√(2·n_layer)) for the residual
 * projections (attn.c_proj, mlp.c_proj: the residual stream grows with
 * depth otherwise), zero biases, unit LayerNorm gains. Deterministic from the
 * seed (Box-Muller over the engine's seeded generator).
 */
import { createRng } from '../rng';
import type { ModelConfig } from '../model-config';
import { ParamStore, parameterList } from './params';

export function initialStore(config: ModelConfig, seed: number): ParamStore {
  const rng = createRng(seed);
  let spare: number | null = null;
  const gauss = (): number => {
    if (spare !== null) {
      const s = spare;
      spare = null;
      return s;
    }
    const u = Math.max(rng(), 1e-12);
    const v = rng();
    const r = Math.sqrt(-2 * Math.log(u));
    spare = r * Math.sin(2 * Math.PI * v);
    return r * Math.cos(2 * Math.PI * v);
  };
  const residualStd = 0.02 / Math.sqrt(2 * config.nLayer);
  const data = new Map<string, Float32Array>();
  for (const info of parameterList(config, true)) {
    const n = info.shape.reduce((a, b) => a * b, 1);
    const d = new Float32Array(n);
    if (/ln_.*\.weight|ln_f\.weight/.test(info.name)) d.fill(1);
    else if (info.shape.length === 2) {
      const std = /c_proj\.weight$/.test(info.name) ? residualStd : 0.02;
      for (let i = 0; i < n; i++) d[i] = gauss() * std;
    }
    data.set(info.name, d);
  }
  return new ParamStore(config, true, data);
}
