/**
 * Sizes both sides of the contract enforce. The runtime reads them from the
 * generated `limits.json` beside the JSON Schemas, so the control plane's body
 * limit and the runtime's caps cannot drift apart.
 */
export const CONTRACT_LIMITS = {
  /** Largest JSON body either side sends (UTF-8 bytes): an answer of the control plane, or a result the runtime reports. The control plane's body limit is this; the runtime truncates a result to fit it. */
  maxMessageBytes: 8 * 1024 * 1024,
  /** Deepest nesting of objects and arrays in any message; deeper is malformed. */
  maxNestingDepth: 32,
  /** Largest `max_output_bytes` (per stream) and `max_bytes` an action may ask for. */
  maxOutputBytes: 4 * 1024 * 1024,
  /** Longest `content` of a write_file action, in characters. */
  maxContentChars: 4 * 1024 * 1024,
  /** Longest argv element, in characters; the kernel refuses longer arguments anyway (MAX_ARG_STRLEN). */
  maxArgChars: 128 * 1024,
  /** Most argv elements. */
  maxArgs: 4096,
} as const;
