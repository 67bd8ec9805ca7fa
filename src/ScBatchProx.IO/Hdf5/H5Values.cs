using PureHDF;
using PureHDF.VOL.Native;

namespace ScBatchProx.IO;

/// <summary>
/// Reads the value of an HDF5 dataset or attribute as the CLR data PureHDF writes back with the same
/// HDF5 type: a scalar for a scalar dataspace, otherwise a flat row-major array (the shape travels
/// separately). This one mapping serves both the copy of a whole file and the obs column decoding.
/// </summary>
internal static class H5Values
{
    /// <summary>A dataset or an attribute: both read by CLR type.</summary>
    internal interface ISource
    {
        IH5DataType Type { get; }
        IH5Dataspace Space { get; }
        T Read<T>();
    }

    sealed class DatasetSource(IH5Dataset dataset) : ISource
    {
        public IH5DataType Type => dataset.Type;
        public IH5Dataspace Space => dataset.Space;
        public T Read<T>() => dataset.Read<T>();
    }

    sealed class AttributeSource(IH5Attribute attribute) : ISource
    {
        public IH5DataType Type => attribute.Type;
        public IH5Dataspace Space => attribute.Space;
        public T Read<T>() => attribute.Read<T>();
    }

    public static ISource Of(IH5Dataset dataset) => new DatasetSource(dataset);
    public static ISource Of(IH5Attribute attribute) => new AttributeSource(attribute);

    public static bool IsScalar(ISource source) => source.Space.Type == H5DataspaceType.Scalar;

    /// <summary>
    /// The value as sbyte..ulong, float, double, string, <see cref="H5Bool"/> or
    /// <see cref="NativeObjectReference1"/>, scalar or array. Other HDF5 types (compound, opaque,
    /// non-bool enums, ...) never occur in AnnData files and are rejected.
    /// </summary>
    public static object Read(ISource source)
    {
        if (source.Space.Type == H5DataspaceType.Null)
            throw new NotSupportedException("an HDF5 null dataspace is not supported");
        var element = ElementType(source.Type);
        return element == typeof(H5Bool) ? ToH5Bool(source) : ReadAs.MakeGenericMethod(element).Invoke(null, System.Reflection.BindingFlags.DoNotWrapExceptions, null, [source], null)!;
    }

    static readonly System.Reflection.MethodInfo ReadAs = typeof(H5Values).GetMethod(nameof(Read), 1,
        System.Reflection.BindingFlags.Static | System.Reflection.BindingFlags.NonPublic, null, [typeof(ISource)], null)!;

    /// <summary>The CLR element type <see cref="Read"/> gives for an HDF5 type.</summary>
    public static Type ElementType(IH5DataType type) => type.Class switch
    {
        H5DataTypeClass.FixedPoint => (type.Size, type.FixedPoint.IsSigned) switch
        {
            (1, true) => typeof(sbyte),
            (1, false) => typeof(byte),
            (2, true) => typeof(short),
            (2, false) => typeof(ushort),
            (4, true) => typeof(int),
            (4, false) => typeof(uint),
            (8, true) => typeof(long),
            (8, false) => typeof(ulong),
            _ => throw new NotSupportedException($"{type.Size}-byte integers are not supported"),
        },
        H5DataTypeClass.FloatingPoint => type.Size switch
        {
            4 => typeof(float),
            8 => typeof(double),
            _ => throw new NotSupportedException($"{type.Size}-byte floats are not supported"),
        },
        // Fixed-length strings come back as strings too and are written as variable-length ones.
        H5DataTypeClass.String or H5DataTypeClass.VariableLength => typeof(string),
        H5DataTypeClass.Enumerated when IsBoolEnum(type) => typeof(H5Bool),
        H5DataTypeClass.Reference => typeof(NativeObjectReference1),
        _ => throw new NotSupportedException($"HDF5 type class {type.Class} is not supported"),
    };

    static object Read<T>(ISource source) => IsScalar(source) ? source.Read<T>()! : source.Read<T[]>();

    static bool IsBoolEnum(IH5DataType type)
    {
        var baseType = type.Enumeration.BaseType;
        if (baseType.Class != H5DataTypeClass.FixedPoint || baseType.Size != 1) return false;
        var members = baseType.FixedPoint.IsSigned
            ? type.Enumeration.GetMembers<sbyte>().ToDictionary(m => m.Key, m => (int)m.Value)
            : type.Enumeration.GetMembers<byte>().ToDictionary(m => m.Key, m => (int)m.Value);
        return members.Count == 2 && members.GetValueOrDefault("FALSE", -1) == 0 && members.GetValueOrDefault("TRUE", -1) == 1;
    }

    static object ToH5Bool(ISource source) => IsScalar(source)
        ? (source.Read<bool>() ? H5Bool.TRUE : H5Bool.FALSE)
        : source.Read<bool[]>().Select(b => b ? H5Bool.TRUE : H5Bool.FALSE).ToArray();

    /// <summary>
    /// Each element of a value from <see cref="Read"/> as text, the way pandas prints it
    /// (True/False, shortest round-trip floats); NaN and empty strings become null (missing).
    /// </summary>
    public static string?[] ToStrings(object value) => value switch
    {
        string[] s => s.Select(v => v.Length == 0 ? null : v).ToArray(),
        H5Bool[] b => b.Select(v => v == H5Bool.TRUE ? "True" : "False").ToArray(),
        float[] f => f.Select(v => float.IsNaN(v) ? null : Format(v)).ToArray(),
        double[] d => d.Select(v => double.IsNaN(v) ? null : Format(v)).ToArray(),
        Array a when IsIntegerArray(a) => a.Cast<IFormattable>().Select(Format).ToArray(),
        _ => throw new NotSupportedException($"values of type {value.GetType().Name} cannot be read as text"),
    };

    /// <summary>Integer arrays of any width as long, e.g. categorical codes.</summary>
    public static long[] ToLongs(object value) => value switch
    {
        // typed conversions: boxing every element costs more than the read for a million codes
        sbyte[] a => Array.ConvertAll(a, v => (long)v),
        byte[] a => Array.ConvertAll(a, v => (long)v),
        short[] a => Array.ConvertAll(a, v => (long)v),
        ushort[] a => Array.ConvertAll(a, v => (long)v),
        int[] a => Array.ConvertAll(a, v => (long)v),
        uint[] a => Array.ConvertAll(a, v => (long)v),
        long[] a => a,
        // ulong above long.MaxValue wraps negative, which every caller rejects as out of range
        ulong[] a => Array.ConvertAll(a, v => unchecked((long)v)),
        _ => throw new NotSupportedException($"values of type {value.GetType().Name} are not integers"),
    };

    static bool IsIntegerArray(Array a) => a.GetType().GetElementType() is { IsPrimitive: true } t
        && t != typeof(float) && t != typeof(double) && t != typeof(bool) && t != typeof(char);

    static string Format(IFormattable v) => v.ToString(null, System.Globalization.CultureInfo.InvariantCulture);

    /// <summary>Dimensions of a dataset or attribute; empty for a scalar.</summary>
    public static ulong[] Dims(ISource source) => IsScalar(source) ? [] : source.Space.Dimensions;
}
