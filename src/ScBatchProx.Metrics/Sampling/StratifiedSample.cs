using ScBatchProx.Data;

namespace ScBatchProx.Metrics.Sampling;

/// <summary>
/// A seeded stratified sample of cells (strata such as labels, or the batches within one label):
/// which cells were drawn, and the stratified mean that estimates a mean over all cells of the strata
/// without bias, whatever the allocation: sum over strata of (stratum size / total) x (mean over the
/// stratum's drawn cells).
/// </summary>
public sealed class StratifiedSample
{
    /// <summary>Drawn cells, ascending.</summary>
    public int[] Cells { get; }
    /// <summary>Stratum of each drawn cell (parallel to <see cref="Cells"/>).</summary>
    public int[] Stratum { get; }
    /// <summary>Cells in each stratum (the population).</summary>
    public int[] StratumSize { get; }
    /// <summary>Cells drawn from each stratum.</summary>
    public int[] StratumDrawn { get; }

    StratifiedSample(int[] cells, int[] stratum, int[] size, int[] drawn)
    {
        Cells = cells; Stratum = stratum; StratumSize = size; StratumDrawn = drawn;
    }

    /// <summary>
    /// Draws <paramref name="take"/>[h] cells without replacement from each stratum h
    /// (<paramref name="strata"/>[h] lists its cells), each stratum from its own stream of
    /// (<paramref name="seed"/>, <paramref name="purpose"/>, h), so a stratum's draw does not depend on the others.
    /// </summary>
    public static StratifiedSample Draw(int[][] strata, int[] take, ulong seed, string purpose)
    {
        if (take.Length != strata.Length) throw new ArgumentException($"{take.Length} sample sizes for {strata.Length} strata.");
        var picked = new List<(int Cell, int Stratum)>();
        for (int h = 0; h < strata.Length; h++)
        {
            if (take[h] < 0 || take[h] > strata[h].Length) throw new ArgumentOutOfRangeException(nameof(take), $"stratum {h}: {take[h]} of {strata[h].Length} cells.");
            var rng = SeededRng.For(seed, purpose, (ulong)h);
            foreach (var r in rng.SampleIndices(strata[h].Length, take[h])) picked.Add((strata[h][r], h));
        }
        picked.Sort((a, b) => a.Cell.CompareTo(b.Cell));
        return new StratifiedSample(picked.Select(p => p.Cell).ToArray(), picked.Select(p => p.Stratum).ToArray(),
            strata.Select(s => s.Length).ToArray(), (int[])take.Clone());
    }

    /// <summary>
    /// Sample sizes: <paramref name="total"/> split in proportion to the stratum sizes (largest
    /// remainder, ties to the lower stratum), then each raised to its floor; never above the stratum size.
    /// </summary>
    public static int[] Allocate(int[] sizes, int total, int[] floor)
    {
        long all = sizes.Sum(s => (long)s);
        var take = new int[sizes.Length];
        if (all == 0) return take;
        total = (int)Math.Min(total, all);
        var remainder = new double[sizes.Length];
        for (int h = 0; h < sizes.Length; h++)
        {
            double share = (double)total * sizes[h] / all;
            take[h] = (int)Math.Floor(share);
            remainder[h] = share - take[h];
        }
        int left = total - take.Sum();
        foreach (var h in Enumerable.Range(0, sizes.Length).OrderByDescending(h => remainder[h]).ThenBy(h => h).Take(left)) take[h]++;
        for (int h = 0; h < sizes.Length; h++) take[h] = Math.Min(sizes[h], Math.Max(take[h], floor[h]));
        return take;
    }

    /// <summary>Stratified estimate of the mean over all cells of the strata; <paramref name="values"/> is parallel to <see cref="Cells"/>.</summary>
    public double Mean(ReadOnlySpan<double> values)
    {
        if (values.Length != Cells.Length) throw new ArgumentException($"{values.Length} values for {Cells.Length} drawn cells.");
        var sum = new double[StratumSize.Length];
        for (int t = 0; t < values.Length; t++) sum[Stratum[t]] += values[t];
        long population = 0;
        double estimate = 0;
        for (int h = 0; h < sum.Length; h++)
        {
            if (StratumSize[h] == 0) continue;
            if (StratumDrawn[h] == 0) throw new InvalidOperationException($"stratum {h} has cells but none was drawn.");
            estimate += StratumSize[h] * (sum[h] / StratumDrawn[h]);
            population += StratumSize[h];
        }
        return estimate / population;
    }
}
