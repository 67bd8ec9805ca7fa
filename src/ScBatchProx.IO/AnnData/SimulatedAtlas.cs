using ScBatchProx.Data.Simulation;

namespace ScBatchProx.IO;

/// <summary>
/// A simulated atlas as an .h5ad file, for scale tests and benchmarks: obs names "cell000000123",
/// categorical obs 'batch' and 'cell_type', obsm 'X_pca' (float32), no X. Cells are generated and
/// written in blocks (<see cref="Simulator.GenerateChunks"/>, <see cref="AnnDataWriter.WriteNewStreamed"/>),
/// so memory does not grow with the number of cells beyond the per-cell codes.
/// </summary>
public static class SimulatedAtlas
{
    public const string EmbeddingKey = "X_pca";

    /// <summary>20 batches whose sizes span a factor of 10, 30 cell types, 50 dims.</summary>
    public static SimulationOptions Options(int cells, ulong seed = 0) => new()
    {
        Cells = cells, Batches = 20, CellTypes = 30, Dims = 50, BatchSizeRatio = 10, BatchStrength = 0.3, Seed = seed,
    };

    public static string CellName(int i) => $"cell{i:D9}";

    public static void Write(string path, SimulationOptions options, int blockCells = 100_000, int threads = 0)
    {
        var chunks = Simulator.GenerateChunks(options, blockCells, out var batchCategories, out var typeCategories, threads);
        var blocks = chunks.Select(c => new ObsBlock(c.Start,
            Enumerable.Range(c.Start, c.Embedding.Rows).Select(CellName).ToArray(), c.Embedding, [c.BatchCodes, c.CellTypeCodes]));
        AnnDataWriter.WriteNewStreamed(path, EmbeddingKey, options.Cells, options.Dims,
            [("batch", batchCategories), ("cell_type", typeCategories)], blocks);
    }
}
