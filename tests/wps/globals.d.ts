// The add-in's own globals (written by xlperf addin install --wps and by the script itself), for the type check.
interface XlperfControl { action: string; tag: string | null; label: string }
declare var XLPERF_CONFIG: { url: string; token: string };
declare var XLPERF_CONTROLS: { [id: string]: XlperfControl };
interface Window {
  XLPERF_CONFIG?: { url: string; token: string };
  XLPERF_CONTROLS?: { [id: string]: XlperfControl };
  XLPERF: object;
  OnAddinLoad: (ribbonUI: object) => boolean;
  OnAction: (control: { Id: string; Tag?: string }) => Promise<string | null>;
}
