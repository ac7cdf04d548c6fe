// The choices "Download" offers for a repository with several ONNX variants (no vscode import: unit-tested).
import { formatBytes } from '../common/format';
import type { InferenceDownloadPlanResult } from '../sidecar/protocol.generated';

/** The localized texts, passed in by the caller. */
export interface VariantLabels {
  only: (file: string) => string;
  files: (count: string, size: string) => string;
  all: (count: string) => string;
}

export interface VariantChoice {
  label: string;
  description: string;
  detail?: string;
  /** Paths for downloads/start's include; undefined downloads everything. */
  include: string[] | undefined;
}

/** The two choices, or none when the repository has fewer than two variants to tell apart. */
export function variantChoices(plan: InferenceDownloadPlanResult, labels: VariantLabels): VariantChoice[] {
  if (!plan.chosen || plan.variants.length < 2) {
    return [];
  }
  return [
    {
      label: labels.only(plan.chosen.file),
      description: labels.files(String(plan.files.length), formatBytes(plan.bytes)),
      detail: plan.reason,
      include: plan.files,
    },
    {
      label: labels.all(String(plan.variants.length)),
      description: formatBytes(plan.allBytes),
      include: undefined,
    },
  ];
}
