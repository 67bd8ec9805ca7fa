using ScBatchProx.Data;
using ScBatchProx.Kernels;
using ScBatchProx.Metrics.Neighbors;
using ScBatchProx.Metrics.Sampling;
using ScBatchProx.Metrics.Silhouette;

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
/// <param name="Cells">cells tested (all, or those in large components, or a sample of those; 0 when not run).</param>
public sealed record KbetLabelResult(string Label, int N, int K0, KbetBranch Branch, int DiffusionNComps, int Cells, double Score);

/// <param name="Sampled">true when some label's acceptance rate was estimated on a sample of its cells (<see cref="MetricSampling"/>).</param>
public sealed record KbetResult(double Score, IReadOnlyList<KbetLabelResult> Labels, bool Sampled = false);

/// <summary>
/// kBET per label (METRICS.md 4.8; scib-metrics metrics/_kbet.py) on the 50-NN UMAP connectivities:
/// per label, a diffusion-map k0-NN graph and a chi-square test of the batch composition of every
/// cell's k0 + 1 neighbourhood. Quirks: Q1 (diffusion_n_comps shrinks and stays shrunk across
/// labels in sorted order), Q4 (-1 padding when the label has exactly k0 cells), Q7 (NaN skips).
/// With <see cref="MetricSampling"/> in force, a label whose tested set exceeds
/// <see cref="MetricSampling.CellsPerLabel"/> cells keeps its whole diffusion map but tests only a
/// batch-stratified sample of that many cells (each neighbourhood searched among all the label's
/// cells): the exact all-cell neighbour search in 100 diffusion dims is the quadratic step.
/// </summary>
public static class KbetPerLabel
{
    public const double DefaultAlpha = 0.05;
    public const int DefaultDiffusionComps = 100;

    /// <summary>kBET from the 90-NN (or any k &gt;= 50) graph: builds the 50-NN connectivities first.</summary>
    public static KbetResult Compute(NeighborGraph graph, Categorical batches, Categorical labels,
        double alpha = DefaultAlpha, int diffusionNComps = DefaultDiffusionComps, int threads = 0,
        MetricSampling? sampling = null, IProgress<string>? progress = null)
        => Compute(UmapConnectivities.Compute(graph, Math.Min(50, graph.K)), batches, labels, alpha, diffusionNComps, threads, sampling, progress);

    /// <param name="progress">receives "i/L labels" as labels finish (in completion order).</param>
    public static KbetResult Compute(SparseMatrix connectivities, Categorical batches, Categorical labels,
        double alpha = DefaultAlpha, int diffusionNComps = DefaultDiffusionComps, int threads = 0,
        MetricSampling? sampling = null, IProgress<string>? progress = null)
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
        bool sample = sampling?.Applies(n) == true;
        var scoresByJob = new double[jobs.Count];
        var testedByJob = new int[jobs.Count];
        var order = Enumerable.Range(0, jobs.Count).OrderByDescending(j => jobs[j].Graph.Rows).ThenBy(j => j).ToArray();
        int done = 0;
        Parallel.ForEach(order, ExactNeighbors.Options(threads), j =>
        {
            var job = jobs[j];
            if (sample && job.Batches.Length > sampling!.CellsPerLabel)
            {
                var strata = BatchSilhouette.ByBatch(job.Batches);
                var sizes = strata.Select(m => m.Length).ToArray();
                var drawn = StratifiedSample.Draw(strata, StratifiedSample.Allocate(sizes, sampling.CellsPerLabel, sizes.Select(z => Math.Min(z, 1)).ToArray()),
                    sampling.Seed, "kbet/" + rows[job.Row].Label);
                var nn = DiffusionNeighbors.Search(job.Graph, job.K0, job.NComps, threads: 1, queries: drawn.Cells);
                var accepted = Accepted(nn, job.K0 + 1, job.Batches, alpha);
                scoresByJob[j] = drawn.Mean(accepted.Select(a => a ? 1.0 : 0.0).ToArray());
                testedByJob[j] = drawn.Cells.Length;
            }
            else
            {
                var nn = DiffusionNeighbors.Search(job.Graph, job.K0, job.NComps, threads: 1);
                scoresByJob[j] = Acceptance(nn, job.K0 + 1, job.Batches, alpha);
                testedByJob[j] = job.Batches.Length;
            }
            progress?.Report($"{Interlocked.Increment(ref done)}/{jobs.Count} labels");
        });
        for (int j = 0; j < jobs.Count; j++) rows[jobs[j].Row] = rows[jobs[j].Row] with { Score = scoresByJob[j], Cells = testedByJob[j] };
        var scores = rows.Select(r => r.Score).Where(s => !double.IsNaN(s)).ToArray();
        bool sampled = Enumerable.Range(0, jobs.Count).Any(j => testedByJob[j] < jobs[j].Batches.Length);
        return new KbetResult(scores.Length == 0 ? double.NaN : scores.Average(), rows, sampled);
    }

    /// <summary>
    /// Fraction of cells whose neighbourhood batch counts pass the chi-square test at level alpha:
    /// stat = sum_b (obs_b - k f_b)^2 / (k f_b) over the batches present in the subset,
    /// p = 1 - P(dof/2, stat/2) with dof = B' - 1, accepted when p &gt;= alpha.
    /// </summary>
    /// <param name="neighbors">row-major cells x k neighbourhoods (self included).</param>
    public static double Acceptance(int[] neighbors, int k, int[] batchCodes, double alpha)
        => (double)Accepted(neighbors, k, batchCodes, alpha).Count(a => a) / batchCodes.Length;

    /// <summary>
    /// Whether each neighbourhood (rows of <paramref name="neighbors"/>, k wide; any subset of the
    /// cells) passes the test; the expected frequencies come from all of <paramref name="batchCodes"/>.
    /// </summary>
    static bool[] Accepted(int[] neighbors, int k, int[] batchCodes, double alpha)
    {
        int n = batchCodes.Length, rows = neighbors.Length / k;
        var distinct = batchCodes.Distinct().Order().ToArray();
        var recode = distinct.Select((b, t) => (b, t)).ToDictionary(x => x.b, x => x.t);
        var codes = batchCodes.Select(b => recode[b]).ToArray();
        int nb = distinct.Length;
        var expected = new double[nb];
        foreach (var c in codes) expected[c]++;
        for (int b = 0; b < nb; b++) expected[b] = expected[b] / n * k;
        double dof = nb - 1;
        var obs = new double[nb];
        var accepted = new bool[rows];
        for (int i = 0; i < rows; i++)
        {
            Array.Clear(obs);
            for (int j = 0; j < k; j++) obs[codes[neighbors[i * k + j]]]++;
            double stat = 0;
            for (int b = 0; b < nb; b++) stat += (obs[b] - expected[b]) * (obs[b] - expected[b]) / expected[b];
            double p = 1 - SpecialFunctions.ChiSquareCdf(stat, dof);
            accepted[i] = p >= alpha;
        }
        return accepted;
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
