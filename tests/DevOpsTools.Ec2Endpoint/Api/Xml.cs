using System.Globalization;
using System.Text;
using System.Xml;
using System.Xml.Linq;

namespace DevOpsTools.Ec2Endpoint.Api;

/// <summary>Small helpers to build EC2 Query API response documents.</summary>
internal static class Xml
{
    public const string Namespace = "http://ec2.amazonaws.com/doc/2016-11-15/";

    /// <summary>An element whose content may mix values, elements and nulls (nulls are left out).</summary>
    public static XElement E(string name, params object?[] content) =>
        new(name, content.Select(Format).Where(c => c is not null).ToArray());

    /// <summary>An element only when the value is not null.</summary>
    public static XElement? Opt(string name, object? value) => value is null ? null : E(name, value);

    /// <summary>A list element: <c>&lt;name&gt;&lt;item&gt;..&lt;/item&gt;...&lt;/name&gt;</c>.</summary>
    public static XElement Items(string name, IEnumerable<XElement> itemElements) => new(name, itemElements.ToArray());

    public static XElement Item(params object?[] content) => E("item", content);

    public static XElement TagSet(IEnumerable<KeyValuePair<string, string>> tags) =>
        Items("tagSet", tags.Select(t => Item(E("key", t.Key), E("value", t.Value))));

    public static string Timestamp(DateTimeOffset t) =>
        t.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture);

    private static object? Format(object? value) => value switch
    {
        null => null,
        XNode node => node,
        string s => s,
        bool b => b ? "true" : "false",
        DateTimeOffset d => Timestamp(d),
        IFormattable f => f.ToString(null, CultureInfo.InvariantCulture),
        IEnumerable<XElement?> many => many.Where(e => e is not null).ToArray(),
        _ => value.ToString(),
    };

    /// <summary>Serializes a response: root named <c>{Action}Response</c> in the EC2 namespace, requestId first.</summary>
    public static byte[] Response(string action, string requestId, IEnumerable<object?> content)
    {
        var root = E(action + "Response", new object?[] { E("requestId", requestId) }.Concat(content).ToArray());
        XNamespace ns = Namespace;
        foreach (var el in root.DescendantsAndSelf())
        {
            el.Name = ns + el.Name.LocalName;
        }

        return Serialize(root);
    }

    /// <summary>The Query API error document (no namespace), as EC2 sends it.</summary>
    public static byte[] Error(string code, string message, string requestId)
    {
        var root = E("Response", E("Errors", E("Error", E("Code", code), E("Message", message))), E("RequestID", requestId));
        return Serialize(root);
    }

    private static byte[] Serialize(XElement root)
    {
        var settings = new XmlWriterSettings
        {
            Encoding = new UTF8Encoding(false),
            Indent = false,
            OmitXmlDeclaration = false,
        };
        using var ms = new MemoryStream();
        using (var w = XmlWriter.Create(ms, settings))
        {
            new XDocument(root).Save(w);
        }

        return ms.ToArray();
    }
}
