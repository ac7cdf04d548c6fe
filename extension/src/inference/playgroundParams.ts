// The playground's starting parameters: the model's own generation defaults (genai_config.json, else
// generation_config.json) where it gives them, ours where it does not, within the ranges the inputs accept.
import type { GenerationDefaults } from '../sidecar/protocol.generated';

export interface PlaygroundParams {
  maxNewTokens: number;
  temperature: number;
  topK: number;
  topP: number;
  repetitionPenalty: number;
}

/** What the playground starts from when the model says nothing. */
export const fallbackParams: PlaygroundParams = { maxNewTokens: 256, temperature: 0.7, topK: 40, topP: 0.9, repetitionPenalty: 1 };

/** The limits of the playground's inputs; the extension clamps what the webview sends to the same ones. */
export const paramLimits: Record<keyof PlaygroundParams, [number, number]> = {
  maxNewTokens: [1, 8192],
  temperature: [0, 2],
  topK: [0, 1000],
  topP: [0, 1],
  repetitionPenalty: [0.01, 10],
};

const clamp = (key: keyof PlaygroundParams, v: number) => Math.min(paramLimits[key][1], Math.max(paramLimits[key][0], v));
const given = (v: number | undefined): v is number => typeof v === 'number' && Number.isFinite(v);

export function playgroundParams(defaults: GenerationDefaults | undefined): PlaygroundParams {
  const d = defaults ?? {};
  // do_sample false is greedy search, which the sidecar runs at temperature 0 (genai_config's temperature is then unused).
  const temperature = d.doSample === false ? 0 : given(d.temperature) ? d.temperature : d.doSample ? 1 : fallbackParams.temperature;
  // max_length counts the prompt too: a model that allows fewer tokens than our default starts at its own limit.
  const maxNewTokens = given(d.maxLength) && d.maxLength > 0 ? Math.min(fallbackParams.maxNewTokens, d.maxLength) : fallbackParams.maxNewTokens;
  return {
    maxNewTokens: clamp('maxNewTokens', maxNewTokens),
    temperature: clamp('temperature', temperature),
    topK: clamp('topK', given(d.topK) ? d.topK : fallbackParams.topK),
    topP: clamp('topP', given(d.topP) && d.topP > 0 ? d.topP : fallbackParams.topP),
    repetitionPenalty: clamp('repetitionPenalty', given(d.repetitionPenalty) && d.repetitionPenalty > 0 ? d.repetitionPenalty : fallbackParams.repetitionPenalty),
  };
}
