namespace DevOpsTools.Ec2Endpoint.Api;

/// <summary>An EC2 API error: turned into the Query API's <c>&lt;Response&gt;&lt;Errors&gt;</c> document.</summary>
internal sealed class Ec2Error(string code, string message, int statusCode = 400) : Exception(message)
{
    public string Code { get; } = code;

    public int StatusCode { get; } = statusCode;

    /// <summary>The HTTP status real EC2 uses with an error code (400 unless known otherwise).</summary>
    public static int DefaultStatusFor(string code) => code switch
    {
        "AuthFailure" => 401,
        "SignatureDoesNotMatch" or "UnauthorizedOperation" or "InvalidClientTokenId" or "MissingAuthenticationToken" or "OptInRequired" => 403,
        "DryRunOperation" => 412,
        "RequestLimitExceeded" or "Unavailable" or "ServiceUnavailable" or "InsufficientInstanceCapacity" => 503,
        "InternalError" or "InternalFailure" => 500,
        _ => 400,
    };

    public static Ec2Error Of(string code, string message) => new(code, message, DefaultStatusFor(code));

    public static Ec2Error MissingParameter(string name) =>
        new("MissingParameter", $"The request must contain the parameter {name}");

    public static Ec2Error InvalidParameterValue(string message) => new("InvalidParameterValue", message);

    public static Ec2Error InvalidParameterCombination(string message) => new("InvalidParameterCombination", message);

    public static Ec2Error NotFound(string code, string kind, IReadOnlyList<string> ids)
    {
        // Real EC2: "The instance ID 'i-1' does not exist" / "The instance IDs 'i-1, i-2' do not exist".
        var message = ids.Count == 1
            ? $"The {kind} '{ids[0]}' does not exist"
            : $"The {kind}s '{string.Join(", ", ids)}' do not exist";
        return new Ec2Error(code, message);
    }

    public static Ec2Error Malformed(string code, string id, string expecting) =>
        new(code, $"Invalid id: \"{id}\" (expecting \"{expecting}\")");
}
