using ScBatchProx.Data;
using ScBatchProx.Kernels;
using ScBatchProx.Metrics.Neighbors;

namespace ScBatchProx.Metrics.Kbet;

/// <summary>How a label was scored (scib-metrics kbet_per_label branches).</summary>
public enum KbetBranch
{
    /// <summary>Fewer than 10 cells: NaN, left out of the mean (Q7).</summary>
    TooSmall,
    /// <summary>A single batch: NaN, left out of the mean (Q7).</summary>
    SingleBatch,
    /// <summary>The label's connectivity subgraph is connected: kBET on all its cells.</summary>
    OneComponent,
    /// <summary>Several components, at least 75% of the cells in components of size &gt;= 3 k0: kBET on those.</summary>
    LargeComponents,
    /// <summary>Several components, too many cells in small ones: score 0.</summary>
    Fragmented,
}

/// <param name="Label">category name.</param>
/// <param name="N">cells with the label.</param>
/// <param name="K0">neighbourhood size k0 (0 for skipped labels).</param>
/// <param name="DiffusionNComps">the carried diffusion_n_comps after this label (quirk Q1).</param>
/// <param name="Cells">cells tested (all, or those in large components; 0 when not run).</param>
public sealed record KbetLabelResult(string Label, int N, int K0, KbetBranch Branch, int DiffusionNComps, int Cells, double Score);

public sealed record KbetResult(double Score, IReadOnlyList<KbetLabelResult> Labels);

/// <summary>
/// kBET per label (METRICS.md 4.8; scib-metrics metrics/_kbet.py) on the 50-NN UMAP connectivities:
/// per label, a diffusion-map k0-NN graph and a chi-square test of the batch composition of every
/// cell's k0 + 1 neighbourhood. Quirks: Q1 (diffusion_n_comps shrinks and stays shrunk across
/// labels in sorted order), Q4 (-1 padding when the label has exactly k0 cells), Q7 (NaN skips).
/// </summary>
public static class KbetPerLabel
{
    public const double DefaultAlpha = 0.05;
    public const int DefaultDiffusionComps = 100;

    /// <summary>kBET from the 90-NN (or any k &gt;= 50) graph: builds the 50-NN connectivities first.</summary>
    public static KbetResult Compute(NeighborGraph graph, Categorical batches, Categorical labels,
        double alpha = DefaultAlpha, int diffusionNComps = DefaultDiffusionComps, int threads = 0)
        => Compute(UmapConnectivities.Compute(graph, Math.Min(50, graph.K)), batches, labels, alpha, diffusionNComps, threads);

    public static KbetResult Compute(SparseMatrix connectivities, Categorical batches, Categorical labels,
        double alpha = DefaultAlpha, int diffusionNComps = DefaultDiffusionComps, int threads = 0)
    {
        int n = connectivities.Rows;
        if (batches.Length != n || labels.Length != n) throw new ArgumentException("batches and labels must have one value per cell.");
        if (batches.MissingCount() > 0 || labels.MissingCount() > 0) throw new ArgumentException("kBET needs a batch and a label for every cell.");
        // Pass 1 (sequential, cheap): branch, k0 and the carried diffusion_n_comps of every label
        // (quirk Q1 only depends on label sizes and components, never on eigen results).
        var rows = new List<KbetLabelResult>();
        var jobs = new List<(int Row, SparseMatrix Graph, int K0, int NComps, int[] Batches)>();
        var labelCounts = labels.Counts();
        for (int l = 0; l < labels.CategoryCount; l++)
        {
            if (labelCounts[l] == 0) continue;
            var members = Enumerable.Range(0, n).Where(i => labels.Codes[i] == l).ToArray();
            var batchSub = members.Select(i => batches.Codes[i]).ToArray();
            int nObs = members.Length;
            var perBatch = batchSub.GroupBy(b => b).Select(gp => gp.Count()).ToArray();
            string name = labels.Categories[l];
            if (nObs < 10) { rows.Add(new(name, nObs, 0, KbetBranch.TooSmall, diffusionNComps, 0, double.NaN)); continue; }
            if (perBatch.Length == 1) { rows.Add(new(name, nObs, 0, KbetBranch.SingleBatch, diffusionNComps, 0, double.NaN)); continue; }

            int k0 = Math.Min(70, Math.Max(10, (int)Math.Floor(perBatch.Average() / 4)));
            if ((long)k0 * nObs >= int.MaxValue) k0 = (int)(int.MaxValue / nObs);
            var sub = connectivities.Submatrix(members);
            var comp = Components(sub, out int compCount);
            if (compCount == 1)
            {
                diffusionNComps = Math.Min(diffusionNComps, nObs - 1);
                jobs.Add((rows.Count, sub, k0, diffusionNComps, batchSub));
                rows.Add(new(name, nObs, k0, KbetBranch.OneComponent, diffusionNComps, nObs, double.NaN));
                continue;
            }
            var sizes = new int[compCount];
            foreach (var c in comp) sizes[c]++;
            var keep = Enumerable.Range(0, nObs).Where(t => sizes[comp[t]] >= 3 * k0).ToArray();
            if ((double)keep.Length / nObs >= 0.75)
            {
                diffusionNComps = Math.Min(diffusionNComps, keep.Length - 1);
                var keptBatches = keep.Select(t => batchSub[t]).ToArray();
                jobs.Add((rows.Count, sub.Submatrix(keep), k0, diffusionNComps, keptBatches));
                rows.Add(new(name, nObs, k0, KbetBranch.LargeComponents, diffusionNComps, keep.Length, double.NaN));
            }
            else rows.Add(new(name, nObs, k0, KbetBranch.Fragmented, diffusionNComps, 0, 0));
        }
        // Pass 2: the diffusion maps and tests, labels in parallel (largest first), each label on
        // one thread. A label's result does not depend on the thread count (the eigensolver and the
        // search are deterministic), so neither does the score.
        var scoresByJob = new double[jobs.Count];
        var order = Enumerable.Range(0, jobs.Count).OrderByDescending(j => jobs[j].Graph.Rows).ThenBy(j => j).ToArray();
        Parallel.ForEach(order, ExactNeighbors.Options(threads), j =>
        {
            var job = jobs[j];
            var nn = DiffusionNeighbors.Search(job.Graph, job.K0, job.NComps, threads: 1);
            scoresByJob[j] = Acceptance(nn, job.K0 + 1, job.Batches, alpha);
        });
        for (int j = 0; j < jobs.Count; j++) rows[jobs[j].Row] = rows[jobs[j].Row] with { Score = scoresByJob[j] };
        var scores = rows.Select(r => r.Score).Where(s => !double.IsNaN(s)).ToArray();
        return new KbetResult(scores.Length == 0 ? double.NaN : scores.Average(), rows);
    }

    /// <summary>
    /// Fraction of cells whose neighbourhood batch counts pass the chi-square test at level alpha:
    /// stat = sum_b (obs_b - k f_b)^2 / (k f_b) over the batches present in the subset,
    /// p = 1 - P(dof/2, stat/2) with dof = B' - 1, accepted when p &gt;= alpha.
    /// </summary>
    /// <param name="neighbors">row-major cells x k neighbourhoods (self included).</param>
    public static double Acceptance(int[] neighbors, int k, int[] batchCodes, double alpha)
    {
        int n = batchCodes.Length;
        var distinct = batchCodes.Distinct().Order().ToArray();
        var recode = distinct.Select((b, t) => (b, t)).ToDictionary(x => x.b, x => x.t);
        var codes = batchCodes.Select(b => recode[b]).ToArray();
        int nb = distinct.Length;
        var expected = new double[nb];
        foreach (var c in codes) expected[c]++;
        for (int b = 0; b < nb; b++) expected[b] = expected[b] / n * k;
        double dof = nb - 1;
        var obs = new double[nb];
        int accepted = 0;
        for (int i = 0; i < n; i++)
        {
            Array.Clear(obs);
            for (int j = 0; j < k; j++) obs[codes[neighbors[i * k + j]]]++;
            double stat = 0;
            for (int b = 0; b < nb; b++) stat += (obs[b] - expected[b]) * (obs[b] - expected[b]) / expected[b];
            double p = 1 - SpecialFunctions.ChiSquareCdf(stat, dof);
            if (p >= alpha) accepted++;
        }
        return (double)accepted / n;
    }

    /// <summary>Connected components of a symmetric graph (labels 0..count-1 in order of first cell).</summary>
    static int[] Components(SparseMatrix g, out int count)
    {
        int n = g.Rows;
        var comp = new int[n];
        Array.Fill(comp, -1);
        var stack = new Stack<int>();
        count = 0;
        for (int s = 0; s < n; s++)
        {
            if (comp[s] >= 0) continue;
            comp[s] = count;
            stack.Push(s);
            while (stack.Count > 0)
            {
                int v = stack.Pop();
                foreach (var w in g.RowIndices(v))
                    if (comp[w] < 0) { comp[w] = count; stack.Push(w); }
            }
            count++;
        }
        return comp;
    }
}
