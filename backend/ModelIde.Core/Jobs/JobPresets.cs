namespace ModelIde.Core.Jobs;

/// <summary>
/// Starting points offered in the UI and by <c>modelide finetune presets</c>; the user adds backend and data. Each sets
/// how often to save and how many checkpoints to keep (ms-swift's defaults, every 500 steps and all of them, leave a
/// short run nothing to resume and fill the disk on a long one); the quick test saves weights only (no resume wanted).
/// </summary>
public static class JobPresets
{
    public static IReadOnlyList<JobPreset> All { get; } =
    [
        new("lora-quick-test", "LoRA quick test",
            "A few steps of LoRA on a small instruct model to check the setup end to end (one GPU, minutes).",
            new JobSpec { Model = "Qwen/Qwen2.5-0.5B-Instruct", Tuner = JobTunerKind.Lora, MaxSteps = 20, LoraRank = 8, LoraAlpha = 32, BatchSize = 1, MaxLength = 1024, LearningRate = 1e-4, GpusPerNode = 1, SaveSteps = 10, SaveTotalLimit = 1, SaveOnlyModel = true }),
        new("lora-7b", "LoRA 7B on one 80 GB GPU",
            "LoRA rank 8 on a 7B model in bf16, one epoch.",
            new JobSpec { Model = "Qwen/Qwen2.5-7B-Instruct", Tuner = JobTunerKind.Lora, NumTrainEpochs = 1, LoraRank = 8, LoraAlpha = 32, BatchSize = 1, MaxLength = 2048, LearningRate = 1e-4, GpusPerNode = 1, SaveSteps = 100, SaveTotalLimit = 3 }),
        new("qlora-7b-24gb", "QLoRA 7B on one 24 GB GPU",
            "4-bit (bitsandbytes nf4) base with LoRA adapters: fits a 7B model on a 24 GB card. Computes in the model's dtype; pick float16 on GPUs without bfloat16 (V100, T4).",
            new JobSpec { Model = "Qwen/Qwen2.5-7B-Instruct", Tuner = JobTunerKind.Qlora, NumTrainEpochs = 1, LoraRank = 8, LoraAlpha = 32, BatchSize = 1, MaxLength = 2048, LearningRate = 1e-4, GpusPerNode = 1, SaveSteps = 100, SaveTotalLimit = 3 }),
        new("full-small", "Full fine-tune small model",
            "All weights of a 0.5B model; needs more memory than LoRA and a lower learning rate.",
            new JobSpec { Model = "Qwen/Qwen2.5-0.5B-Instruct", Tuner = JobTunerKind.Full, NumTrainEpochs = 1, BatchSize = 1, MaxLength = 2048, LearningRate = 1e-5, GpusPerNode = 1, SaveSteps = 200, SaveTotalLimit = 2 }),
        new("lora-multi-node", "LoRA on 2 nodes × 8 GPUs (Slurm)",
            "Distributed LoRA with torchrun variables set from Slurm's allocation.",
            new JobSpec { Model = "Qwen/Qwen2.5-7B-Instruct", Tuner = JobTunerKind.Lora, NumTrainEpochs = 1, LoraRank = 16, LoraAlpha = 32, BatchSize = 1, MaxLength = 4096, LearningRate = 1e-4, GpusPerNode = 8, Nodes = 2, CpusPerTask = 32, TimeLimitMinutes = 720, SaveSteps = 200, SaveTotalLimit = 3 }),
    ];

    public static JobPreset? Find(string id) => All.FirstOrDefault(p => string.Equals(p.Id, id, StringComparison.OrdinalIgnoreCase));
}
