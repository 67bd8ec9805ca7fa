using System.Buffers.Binary;
using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;
using ScBatchProx.Data;

namespace ScBatchProx.IO;

/// <summary>
/// numpy's .npy format (versions 1-3) for 2-D little-endian float32/float64 arrays, in C or Fortran
/// order. Spec: https://numpy.org/doc/stable/reference/generated/numpy.lib.format.html
/// </summary>
internal static partial class Npy
{
    static readonly byte[] Magic = [0x93, (byte)'N', (byte)'U', (byte)'M', (byte)'P', (byte)'Y'];

    public static Embedding Read(string path)
    {
        if (!File.Exists(path)) throw InputError.For(path, null, "file not found.");
        var bytes = File.ReadAllBytes(path);
        if (bytes.Length < 10 || !bytes.AsSpan(0, 6).SequenceEqual(Magic))
            throw InputError.For(path, null, "is not a .npy file (no \\x93NUMPY magic).");
        int major = bytes[6];
        if (major is not (1 or 2 or 3)) throw InputError.For(path, null, $"unsupported .npy version {major}.");
        int headerLength = major == 1 ? BinaryPrimitives.ReadUInt16LittleEndian(bytes.AsSpan(8)) : (int)BinaryPrimitives.ReadUInt32LittleEndian(bytes.AsSpan(8));
        int headerStart = major == 1 ? 10 : 12;
        if (bytes.Length < headerStart + headerLength) throw InputError.For(path, null, "the .npy header is truncated.");
        var header = Encoding.UTF8.GetString(bytes, headerStart, headerLength);

        var descr = DescrPattern().Match(header) is { Success: true } m ? m.Groups[1].Value : throw InputError.For(path, null, "the .npy header has no 'descr'.");
        bool fortran = FortranPattern().Match(header) is { Success: true } f ? f.Groups[1].Value == "True" : false;
        var shapeMatch = ShapePattern().Match(header);
        if (!shapeMatch.Success) throw InputError.For(path, null, "the .npy header has no 'shape'.");
        var shape = shapeMatch.Groups[1].Value.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Select(s => long.Parse(s, CultureInfo.InvariantCulture)).ToArray();
        int width = descr switch
        {
            "<f4" => 4,
            "<f8" => 8,
            _ => throw InputError.For(path, null, $".npy dtype '{descr}' is not supported; expected little-endian float32 ('<f4') or float64 ('<f8')."),
        };
        if (shape.Length != 2) throw InputError.For(path, null, $".npy array has {shape.Length} dimension(s); an embedding must be 2-D (cells x dims).");
        int rows = checked((int)shape[0]), cols = checked((int)shape[1]);
        long count = (long)rows * cols;
        var body = bytes.AsSpan(headerStart + headerLength);
        if (body.Length < count * width) throw InputError.For(path, null, $".npy data is truncated: {body.Length} bytes for {rows} x {cols} values of {width} bytes.");

        var data = new float[count];
        for (long k = 0; k < count; k++)
        {
            // File order k is row-major (C) or column-major (Fortran); data is always row-major.
            long target = fortran ? (k % rows) * cols + k / rows : k;
            data[target] = width == 4
                ? BinaryPrimitives.ReadSingleLittleEndian(body.Slice((int)(k * 4), 4))
                : (float)BinaryPrimitives.ReadDoubleLittleEndian(body.Slice((int)(k * 8), 8));
        }
        return new Embedding(rows, cols, data);
    }

    /// <summary>Writes a version 1.0 file of C-order float32.</summary>
    public static void Write(string path, Embedding embedding)
    {
        var dict = $"{{'descr': '<f4', 'fortran_order': False, 'shape': ({embedding.Rows}, {embedding.Cols}), }}";
        // Magic, version and length take 10 bytes; numpy pads the header with spaces and a final
        // newline so the data starts on a multiple of 64.
        int total = (10 + dict.Length + 1 + 63) / 64 * 64;
        var header = dict.PadRight(total - 10 - 1) + "\n";
        using var stream = new FileStream(path, FileMode.CreateNew, FileAccess.Write);
        stream.Write(Magic);
        stream.Write([1, 0]);
        Span<byte> length = stackalloc byte[2];
        BinaryPrimitives.WriteUInt16LittleEndian(length, (ushort)header.Length);
        stream.Write(length);
        stream.Write(Encoding.ASCII.GetBytes(header));
        var body = new byte[embedding.Data.Length * 4];
        for (int i = 0; i < embedding.Data.Length; i++) BinaryPrimitives.WriteSingleLittleEndian(body.AsSpan(i * 4), embedding.Data[i]);
        stream.Write(body);
    }

    [GeneratedRegex(@"'descr'\s*:\s*'([^']*)'")]
    private static partial Regex DescrPattern();
    [GeneratedRegex(@"'fortran_order'\s*:\s*(True|False)")]
    private static partial Regex FortranPattern();
    [GeneratedRegex(@"'shape'\s*:\s*\(([^)]*)\)")]
    private static partial Regex ShapePattern();
}
