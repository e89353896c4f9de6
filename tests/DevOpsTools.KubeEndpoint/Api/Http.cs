using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Http;

namespace DevOpsTools.KubeEndpoint.Api;

/// <summary>Body reading and JSON writing shared by every handler.</summary>
public static class Http
{
    /// <summary>Go's encoder writes quotes as \" and leaves &lt;, &gt;, &amp; and non-ASCII alone; so does this one.</summary>
    public static readonly JsonSerializerOptions Wire = new() { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    public static async Task WriteJsonAsync(HttpContext ctx, int status, JsonNode body)
    {
        ctx.Response.StatusCode = status;
        ctx.Response.ContentType = "application/json";
        await ctx.Response.WriteAsync(body.ToJsonString(Wire), Encoding.UTF8, ctx.RequestAborted).ConfigureAwait(false);
    }

    public static async Task<string> ReadBodyAsync(HttpContext ctx)
    {
        using var reader = new StreamReader(ctx.Request.Body, Encoding.UTF8);
        return await reader.ReadToEndAsync(ctx.RequestAborted).ConfigureAwait(false);
    }

    public static JsonNode? ParseJson(string text)
    {
        try
        {
            return JsonNode.Parse(text);
        }
        catch (JsonException ex)
        {
            throw ApiException.BadRequest($"error decoding JSON: {ex.Message}");
        }
    }
}
