using ScBatchProx.Core;
using ScBatchProx.Core.Method;
using ScBatchProx.Core.Model;
using ScBatchProx.IO;

using var data = Dataset.Open("pbmc.h5ad");
var cells = data.Obsm("X_pca");
var batches = data.Obs("batch");
var fit = await Refiner.FitAsync(cells, batches, new RefineOptions { Seed = 0 });
data.Save("pbmc.refined.h5ad", "X_scbatchprox", fit.Refined, new Dictionary<string, string> { ["command"] = "my pipeline" });
fit.Model.Save("pbmc.model.json");

var model = RefinementModel.Load("pbmc.model.json");        // later, elsewhere: no training
var again = model.Transform(cells, batches);
Console.WriteLine($"{fit.Run.RoundsRun} rounds; the saved model reproduces the output: {again.Data.AsSpan().SequenceEqual(fit.Refined.Data)}");
