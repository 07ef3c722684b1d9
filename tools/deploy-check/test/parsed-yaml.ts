/** A parsed manifest that a test reaches into by paths it knows (a wrong path throws). */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type ParsedYaml = any;
