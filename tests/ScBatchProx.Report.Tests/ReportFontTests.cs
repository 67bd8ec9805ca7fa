namespace ScBatchProx.Report.Tests;

public class ReportFontTests
{
    [Fact]
    public void PrefersDejaVuSansThenFallsBackInOrder()
    {
        Assert.Equal("DejaVu Sans", ReportFont.Choose(["Lato", "DejaVu Serif", "DejaVu Sans", "Liberation Sans"]));
        Assert.Equal("Liberation Sans", ReportFont.Choose(["lato", "liberation sans"]));
        Assert.Null(ReportFont.Choose(["DejaVu Serif", "Font Awesome"]));
        Assert.Null(ReportFont.Choose([]));
    }

    [SkippableFact]
    public void DejaVuSansIsFoundWhereDebianInstalledIt()
    {
        const string file = "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf";
        Skip.IfNot(File.Exists(file), $"{file} is absent (Debian package fonts-dejavu-core; .ci/run installs it).");
        Assert.True(ReportFont.AnyInstalled);
        Assert.Equal("DejaVu Sans", ReportFont.Family);
    }
}
