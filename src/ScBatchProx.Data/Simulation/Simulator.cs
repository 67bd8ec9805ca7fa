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
    public ulong Seed { get; init; } = 42;
}

public sealed record SimulatedData(Embedding Embedding, Categorical Batch, Categorical CellType);

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
        if (o.Cells < o.Batches * 2 || o.Batches < 1 || o.CellTypes < 1 || o.Dims < 1 || o.LatentDims < 1)
            throw new ArgumentException("simulation needs at least 2 cells per batch and positive sizes");
        var rng = new SeededRng(o.Seed);
        int L = o.LatentDims, d = o.Dims, T = o.CellTypes, B = o.Batches;
        // cell-type centres along a helix-like curve in latent space, spaced to be separable
        var centre = new double[T, L];
        for (int t = 0; t < T; t++)
            for (int a = 0; a < L; a++)
            {
                double phase = 2.0 * Math.PI * t / Math.Max(T, 2) + a * 1.3;
                centre[t, a] = 3.0 * (a % 2 == 0 ? Math.Cos(phase) : Math.Sin(phase)) + (a == L - 1 ? 0.8 * t : 0);
            }
        var map = RandomMatrix(rng, d, L, 1.0 / Math.Sqrt(L));
        var bend = RandomMatrix(rng, d, L, 0.5 / Math.Sqrt(L));
        var shift = new double[B][];
        var warp = new double[B][,];
        for (int b = 0; b < B; b++)
        {
            shift[b] = Enumerable.Range(0, d).Select(_ => o.BatchStrength * 2.0 * rng.NextNormal()).ToArray();
            warp[b] = RandomMatrix(rng, d, d, o.BatchStrength * 0.3 / Math.Sqrt(d));
        }
        // per-batch composition: Dirichlet(2) weights
        var comp = new double[B][];
        for (int b = 0; b < B; b++)
        {
            comp[b] = Enumerable.Range(0, T).Select(_ => Gamma2(rng)).ToArray();
            if (o.DropOneType && b == 0 && T > 1 && B > 1) comp[b][T - 1] = 0;
            double s = comp[b].Sum();
            for (int t = 0; t < T; t++) comp[b][t] /= s;
        }
        var data = new float[o.Cells * d];
        var batchNames = new string?[o.Cells];
        var typeNames = new string?[o.Cells];
        var latent = new double[L];
        var clean = new double[d];
        for (int i = 0; i < o.Cells; i++)
        {
            int b = i % B;                        // round-robin keeps every batch populated
            int t = Pick(comp[b], rng);
            for (int a = 0; a < L; a++) latent[a] = centre[t, a] + 0.45 * rng.NextNormal();
            for (int j = 0; j < d; j++)
            {
                double lin = 0, curv = 0;
                for (int a = 0; a < L; a++) { lin += map[j, a] * latent[a]; curv += bend[j, a] * latent[a]; }
                clean[j] = 2.0 * lin + Math.Tanh(curv) + 0.15 * rng.NextNormal();
            }
            for (int j = 0; j < d; j++)
            {
                double w = 0;
                for (int q = 0; q < d; q++) w += warp[b][j, q] * clean[q];
                data[i * d + j] = (float)(clean[j] + shift[b][j] + 2.0 * Math.Tanh(w));
            }
            batchNames[i] = $"batch{b + 1}";
            typeNames[i] = $"type{(char)('A' + t % 26)}{(t >= 26 ? (t / 26).ToString() : "")}";
        }
        return new SimulatedData(new Embedding(o.Cells, d, data), Categorical.FromStrings("batch", batchNames), Categorical.FromStrings("cell_type", typeNames));
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
