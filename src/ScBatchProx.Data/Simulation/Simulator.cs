using ScBatchProx.Data;

namespace ScBatchProx.Data.Simulation;

public sealed record SimulationOptions
{
    public int Cells { get; init; } = 3000;
    public int Batches { get; init; } = 3;
    public int CellTypes { get; init; } = 6;
    public int Dims { get; init; } = 20;
    /// <summary>Dimension of the latent manifold the cell types live on.</summary>
    public int LatentDims { get; init; } = 3;
    /// <summary>Size of the batch shift relative to the spread between cell types.</summary>
    public double BatchStrength { get; init; } = 0.2;
    /// <summary>Remove the last cell type from the first batch (composition differences are what naive alignment breaks).</summary>
    public bool DropOneType { get; init; } = true;
    /// <summary>
    /// Largest over smallest batch size. 1 (the default): equal batches, cells assigned round-robin.
    /// Above 1: batch sizes in geometric progression from batch1 (smallest) to the last batch, each
    /// batch a contiguous block of cells, as in an atlas concatenated from its studies.
    /// </summary>
    public double BatchSizeRatio { get; init; } = 1;
    public ulong Seed { get; init; } = 42;
}

public sealed record SimulatedData(Embedding Embedding, Categorical Batch, Categorical CellType);

/// <summary>Cells [Start, Start + Embedding.Rows) of a chunked simulation; codes index the stream's category lists.</summary>
public sealed record SimulatedChunk(int Start, Embedding Embedding, int[] BatchCodes, int[] CellTypeCodes);

/// <summary>
/// Simulated single-cell embedding for the demo, tests and benchmarks.
/// Biology: cell types are Gaussian clusters whose centres lie on a smooth curve in a
/// low-dimensional latent space, mapped into d dims by a fixed random linear map plus a tanh
/// bend (a curved manifold, as PCA of real data looks). Batches: each adds its own shift and a
/// nonlinear distortion (a batch-specific tanh warp) and samples cell types with its own
/// composition (Dirichlet weights); optionally one cell type is absent from the first batch.
/// </summary>
public static class Simulator
{
    public static SimulatedData Generate(SimulationOptions o)
    {
        var rng = new SeededRng(o.Seed);
        var model = new Model(o, rng);
        int d = o.Dims;
        var data = new float[o.Cells * d];
        var batchNames = new string?[o.Cells];
        var typeNames = new string?[o.Cells];
        var scratch = model.Scratch();
        for (int i = 0; i < o.Cells; i++)
        {
            int b = model.BatchOf(i);
            int t = model.Cell(b, rng, data.AsSpan(i * d, d), scratch);
            batchNames[i] = BatchName(b);
            typeNames[i] = TypeName(t);
        }
        return new SimulatedData(new Embedding(o.Cells, d, data), Categorical.FromStrings("batch", batchNames), Categorical.FromStrings("cell_type", typeNames));
    }

    /// <summary>
    /// The same model as <see cref="Generate"/> (same centres, maps, shifts and compositions for the
    /// same options), but every cell draws from its own stream seeded by (seed, cell index), so
    /// chunks are generated in parallel, hold only <paramref name="chunkCells"/> cells at a time and
    /// do not depend on the chunk size or thread count. The cells differ from <see cref="Generate"/>'s,
    /// which uses one sequential stream. Codes index <paramref name="batchCategories"/> and
    /// <paramref name="typeCategories"/> (ordinally sorted, as <see cref="Categorical"/> keeps them).
    /// </summary>
    public static IEnumerable<SimulatedChunk> GenerateChunks(SimulationOptions o, int chunkCells,
        out string[] batchCategories, out string[] typeCategories, int threads = 0)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(chunkCells, 1);
        var model = new Model(o, new SeededRng(o.Seed));
        var (batchCats, batchCode) = SortedNames(o.Batches, BatchName);
        var (typeCats, typeCode) = SortedNames(o.CellTypes, TypeName);
        batchCategories = batchCats;
        typeCategories = typeCats;
        return Chunks(o, model, chunkCells, batchCode, typeCode, threads);
    }

    static IEnumerable<SimulatedChunk> Chunks(SimulationOptions o, Model model, int chunkCells, int[] batchCode, int[] typeCode, int threads)
    {
        int d = o.Dims;
        var po = new ParallelOptions { MaxDegreeOfParallelism = threads > 0 ? threads : Environment.ProcessorCount };
        for (int start = 0; start < o.Cells; start += chunkCells)
        {
            int count = Math.Min(chunkCells, o.Cells - start);
            var data = new float[(long)count * d];
            var batches = new int[count];
            var types = new int[count];
            const int block = 1024;
            Parallel.For(0, (count + block - 1) / block, po, () => model.Scratch(), (k, _, scratch) =>
            {
                for (int r = k * block, end = Math.Min(count, r + block); r < end; r++)
                {
                    int i = start + r;
                    int b = model.BatchOf(i);
                    var rng = new SeededRng(SeededRng.Mix(o.Seed, (ulong)i));
                    int t = model.Cell(b, rng, data.AsSpan(r * d, d), scratch);
                    batches[r] = batchCode[b];
                    types[r] = typeCode[t];
                }
                return scratch;
            }, _ => { });
            yield return new SimulatedChunk(start, new Embedding(count, d, data), batches, types);
        }
    }

    static string BatchName(int b) => $"batch{b + 1}";

    static string TypeName(int t) => $"type{(char)('A' + t % 26)}{(t >= 26 ? (t / 26).ToString() : "")}";

    /// <summary>Names 0..count-1 sorted ordinally, and the sorted position of each.</summary>
    static (string[] Sorted, int[] CodeOf) SortedNames(int count, Func<int, string> name)
    {
        var names = Enumerable.Range(0, count).Select(name).ToArray();
        var sorted = names.Order(StringComparer.Ordinal).ToArray();
        return (sorted, names.Select(s => Array.IndexOf(sorted, s)).ToArray());
    }

    /// <summary>The drawn parameters of one simulation: they come first from the seed's stream, in this order.</summary>
    sealed class Model
    {
        readonly int _latentDims, _dims, _types;
        readonly double[,] _centre, _map, _bend;
        readonly double[][] _shift;
        readonly double[][,] _warp;
        readonly double[][] _comp;
        readonly int[]? _batchStart; // contiguous batch blocks, or null for round-robin

        public Model(SimulationOptions o, SeededRng rng)
        {
            if (o.Cells < o.Batches * 2 || o.Batches < 1 || o.CellTypes < 1 || o.Dims < 1 || o.LatentDims < 1)
                throw new ArgumentException("simulation needs at least 2 cells per batch and positive sizes");
            if (!(o.BatchSizeRatio >= 1) || double.IsInfinity(o.BatchSizeRatio))
                throw new ArgumentException("BatchSizeRatio must be a finite number >= 1.");
            int L = o.LatentDims, d = o.Dims, T = o.CellTypes, B = o.Batches;
            _latentDims = L; _dims = d; _types = T;
            // cell-type centres along a helix-like curve in latent space, spaced to be separable
            _centre = new double[T, L];
            for (int t = 0; t < T; t++)
                for (int a = 0; a < L; a++)
                {
                    double phase = 2.0 * Math.PI * t / Math.Max(T, 2) + a * 1.3;
                    _centre[t, a] = 3.0 * (a % 2 == 0 ? Math.Cos(phase) : Math.Sin(phase)) + (a == L - 1 ? 0.8 * t : 0);
                }
            _map = RandomMatrix(rng, d, L, 1.0 / Math.Sqrt(L));
            _bend = RandomMatrix(rng, d, L, 0.5 / Math.Sqrt(L));
            _shift = new double[B][];
            _warp = new double[B][,];
            for (int b = 0; b < B; b++)
            {
                _shift[b] = Enumerable.Range(0, d).Select(_ => o.BatchStrength * 2.0 * rng.NextNormal()).ToArray();
                _warp[b] = RandomMatrix(rng, d, d, o.BatchStrength * 0.3 / Math.Sqrt(d));
            }
            // per-batch composition: Dirichlet(2) weights
            _comp = new double[B][];
            for (int b = 0; b < B; b++)
            {
                _comp[b] = Enumerable.Range(0, T).Select(_ => Gamma2(rng)).ToArray();
                if (o.DropOneType && b == 0 && T > 1 && B > 1) _comp[b][T - 1] = 0;
                double s = _comp[b].Sum();
                for (int t = 0; t < T; t++) _comp[b][t] /= s;
            }
            if (o.BatchSizeRatio > 1) _batchStart = GeometricBlocks(o.Cells, B, o.BatchSizeRatio);
        }

        /// <summary>Block starts of B batches whose sizes grow geometrically by the given overall ratio (largest remainder rounding, at least 2 cells each).</summary>
        static int[] GeometricBlocks(int cells, int batches, double ratio)
        {
            var weight = Enumerable.Range(0, batches).Select(b => Math.Pow(ratio, batches == 1 ? 0 : (double)b / (batches - 1))).ToArray();
            double total = weight.Sum();
            int spare = cells - 2 * batches;
            var size = weight.Select(w => 2 + (int)Math.Floor(spare * w / total)).ToArray();
            var byRemainder = Enumerable.Range(0, batches).OrderByDescending(b => spare * weight[b] / total - Math.Floor(spare * weight[b] / total)).ThenBy(b => b);
            foreach (var b in byRemainder.Take(cells - size.Sum())) size[b]++;
            var start = new int[batches + 1];
            for (int b = 0; b < batches; b++) start[b + 1] = start[b] + size[b];
            return start;
        }

        public int BatchOf(int cell)
        {
            if (_batchStart is null) return cell % _shift.Length; // round-robin keeps every batch populated
            int b = Array.BinarySearch(_batchStart, cell);
            return b >= 0 ? b : ~b - 1;
        }

        public double[][] Scratch() => [new double[_latentDims], new double[_dims]];

        /// <summary>Draws one cell of batch <paramref name="b"/> into <paramref name="dest"/>; returns its cell type.</summary>
        public int Cell(int b, SeededRng rng, Span<float> dest, double[][] scratch)
        {
            int L = _latentDims, d = _dims;
            var latent = scratch[0];
            var clean = scratch[1];
            int t = Pick(_comp[b], rng);
            for (int a = 0; a < L; a++) latent[a] = _centre[t, a] + 0.45 * rng.NextNormal();
            for (int j = 0; j < d; j++)
            {
                double lin = 0, curv = 0;
                for (int a = 0; a < L; a++) { lin += _map[j, a] * latent[a]; curv += _bend[j, a] * latent[a]; }
                clean[j] = 2.0 * lin + Math.Tanh(curv) + 0.15 * rng.NextNormal();
            }
            var warp = _warp[b];
            var shift = _shift[b];
            for (int j = 0; j < d; j++)
            {
                double w = 0;
                for (int q = 0; q < d; q++) w += warp[j, q] * clean[q];
                dest[j] = (float)(clean[j] + shift[j] + 2.0 * Math.Tanh(w));
            }
            return t;
        }
    }

    static double[,] RandomMatrix(SeededRng rng, int rows, int cols, double sd)
    {
        var m = new double[rows, cols];
        for (int r = 0; r < rows; r++) for (int c = 0; c < cols; c++) m[r, c] = sd * rng.NextNormal();
        return m;
    }

    /// <summary>Gamma(2, 1) as the sum of two exponentials (Dirichlet(2) after normalising).</summary>
    static double Gamma2(SeededRng rng) => -Math.Log(1 - rng.NextDouble()) - Math.Log(1 - rng.NextDouble());

    static int Pick(double[] p, SeededRng rng)
    {
        double r = rng.NextDouble(), acc = 0;
        for (int t = 0; t < p.Length; t++) { acc += p[t]; if (r < acc && p[t] > 0) return t; }
        for (int t = p.Length - 1; t >= 0; t--) if (p[t] > 0) return t;
        return 0;
    }
}
