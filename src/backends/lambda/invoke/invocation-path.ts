const INVOKE_PATH = (label: string) => `/2015-03-31/functions/${label}/invocations`;

/**
 * `encodeURIComponent` plus `!'()*`, leaving `[\w.~-]` as is: how the SDK encodes a path label
 * (`@smithy/core/protocols` extendedEncodeURIComponent).
 */
function encodeLabel(label: string): string {
  if (/^[\w.~-]+$/.test(label)) return label;
  return encodeURIComponent(label).replace(
    /[!'()*]/g,
    (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`,
  );
}

/**
 * The request path of Invoke for `functionName`, byte for byte as the SDK builds it: the whole name
 * (plain, `name:qualifier`, partial or full ARN) is one URL-encoded path label (`:` becomes `%3A`);
 * the SDK sends no `?Qualifier=` unless the Qualifier parameter is set, which this agent never does.
 * An endpoint with a path (`http://host/prefix`) prefixes it, as the SDK does.
 */
export function invocationPath(endpointPathname: string, functionName: string): string {
  const operationPath = INVOKE_PATH(encodeLabel(functionName));
  return endpointPathname === "/" ? operationPath : endpointPathname + operationPath;
}
