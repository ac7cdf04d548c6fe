// Turns the fine-tune form's string fields into a JobSpec and checks what the extension can check
// before asking the sidecar (jobs/preview validates the rest). No `vscode` import.
import { JobSpec, JobTunerKind, RpcServerCodes, TrustHostParams } from '../sidecar/protocol.generated';
import { errorData } from '../sidecar/rpcErrors';

export type JobFormValues = Record<string, string | undefined>;

export interface JobFormResult {
  spec: JobSpec;
  errors: { field: string; message: string }[];
}

const numberFields: { field: keyof JobSpec; integer: boolean; min: number }[] = [
  { field: 'numTrainEpochs', integer: false, min: 0 },
  { field: 'maxSteps', integer: true, min: 1 },
  { field: 'learningRate', integer: false, min: 0 },
  { field: 'loraRank', integer: true, min: 1 },
  { field: 'loraAlpha', integer: true, min: 1 },
  { field: 'batchSize', integer: true, min: 1 },
  { field: 'maxLength', integer: true, min: 1 },
  { field: 'gpusPerNode', integer: true, min: 0 },
  { field: 'nodes', integer: true, min: 1 },
  { field: 'timeLimitMinutes', integer: true, min: 1 },
  { field: 'cpusPerTask', integer: true, min: 1 },
  { field: 'saveSteps', integer: true, min: 1 },
  { field: 'saveTotalLimit', integer: true, min: 1 },
];

/** Quotes a word for a POSIX shell when it needs it (the sidecar splits these fields with shell quoting). */
export function shellQuote(word: string): string {
  return /^[A-Za-z0-9@%_+=:,./#-]+$/.test(word) ? word : `'${word.replace(/'/g, `'\\''`)}'`;
}

/** "0, 3 5" → [0, 3, 5]; undefined for an empty field; null when it is not a list of GPU numbers. */
export function parseGpuIndices(text: string): number[] | undefined | null {
  const parts = text.split(/[\s,]+/).filter((p) => p.length > 0);
  if (parts.length === 0) {
    return undefined;
  }
  const numbers = parts.map((p) => (/^\d{1,2}$/.test(p) ? Number(p) : NaN));
  return numbers.some((n) => Number.isNaN(n)) || new Set(numbers).size !== numbers.length ? null : numbers;
}

export function parseJobForm(values: JobFormValues): JobFormResult {
  const errors: JobFormResult['errors'] = [];
  const text = (k: string) => (values[k] ?? '').trim();
  const backend = text('backend');
  if (!/^(ssh|slurm):\/\/[^@\s/]+@[^\s/:]+(:\d{1,5})?\/?$/.test(backend)) {
    errors.push({ field: 'backend', message: 'Backend must look like ssh://user@host[:port] or slurm://user@host[:port].' });
  }
  const model = text('model');
  if (!model) {
    errors.push({ field: 'model', message: 'Model is required.' });
  }
  // Datasets and extra arguments go to the sidecar as typed: it splits them with shell quoting ('my file.jsonl').
  const datasetText = text('dataset');
  if (!datasetText && !text('uploadDataset')) {
    errors.push({ field: 'dataset', message: 'At least one dataset is required.' });
  }
  const tunerText = text('tuner') || 'lora';
  const tuner = (['lora', 'qlora', 'full'].includes(tunerText) ? tunerText : 'lora') as JobTunerKind;
  if (tuner !== tunerText) {
    errors.push({ field: 'tuner', message: 'Tuner must be lora, qlora or full.' });
  }
  const spec: JobSpec = { backend, model, dataset: [], tuner };
  if (datasetText) {
    spec.datasetText = datasetText;
  }
  for (const { field, integer, min } of numberFields) {
    const raw = text(field);
    if (!raw) {
      continue;
    }
    const value = Number(raw);
    if (!Number.isFinite(value) || (integer && !Number.isInteger(value)) || value < min || (field === 'learningRate' && value <= 0)) {
      errors.push({ field, message: `${field} must be ${integer ? 'a whole number' : 'a number'} ≥ ${min}${field === 'learningRate' ? ' (greater than 0)' : ''}.` });
      continue;
    }
    (spec as unknown as Record<string, unknown>)[field] = value;
  }
  if (spec.numTrainEpochs === undefined && spec.maxSteps === undefined) {
    errors.push({ field: 'numTrainEpochs', message: 'Give the number of epochs or the maximum number of steps.' });
  }
  for (const field of ['identityFile', 'outputDir', 'uploadDataset'] as const) {
    if (text(field)) {
      spec[field] = text(field);
    }
  }
  const extra = text('extraArgs');
  if (extra) {
    spec.extraArgsText = extra;
  }
  const gpus = parseGpuIndices(text('gpuIndices'));
  if (gpus === null) {
    errors.push({ field: 'gpuIndices', message: 'GPUs must be distinct GPU numbers as nvidia-smi lists them, e.g. 0,3.' });
  } else if (gpus) {
    spec.gpuIndices = gpus;
  }
  const dtype = text('bnbComputeDtype');
  if (dtype === 'float16' || dtype === 'bfloat16' || dtype === 'float32') {
    spec.bnbComputeDtype = dtype;
  }
  const saveOnly = text('saveOnlyModel');
  if (saveOnly === 'true' || saveOnly === 'false') {
    spec.saveOnlyModel = saveOnly === 'true';
  }
  return { spec, errors };
}

/** Form values for a preset or a model picked in the tree (strings, as the form shows them). */
export function formValuesFromSpec(spec: Partial<JobSpec>): JobFormValues {
  const values: JobFormValues = {};
  for (const [key, value] of Object.entries(spec)) {
    if (value === undefined || value === null) {
      continue;
    }
    if (key === 'datasetText' || key === 'extraArgsText') {
      values[key === 'datasetText' ? 'dataset' : 'extraArgs'] = String(value);
    } else if (key === 'gpuIndices' && Array.isArray(value)) {
      values.gpuIndices = value.join(',');
    } else if (Array.isArray(value)) {
      const joined = (value as string[]).map(shellQuote).join(' ');
      if (joined) {
        values[key] = joined;
      }
    } else {
      values[key] = String(value);
    }
  }
  return values;
}

/** Unknown SSH host: the sidecar's error carries the host, port and fingerprint to show and, on consent, to trust. */
export function unknownHostFrom(error: unknown): TrustHostParams | undefined {
  const data = errorData(error);
  if (data?.serverCode !== RpcServerCodes.unknownHostKey || !data.host || !data.fingerprint) {
    return undefined;
  }
  return { host: data.host, port: data.port ?? 22, fingerprint: data.fingerprint };
}
