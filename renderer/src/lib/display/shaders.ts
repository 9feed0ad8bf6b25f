/**
 * GLSL ES 3.00 for the image: the quad in image pixel coordinates, placed by one affine matrix (the view
 * transform, in the vertex stage), and the grayscale pipeline per pixel in the fragment stage, on the
 * stored integers: modality LUT (rescale or a LUT texture) → VOI (LINEAR / LINEAR_EXACT / SIGMOID exactly
 * as PS3.3 C.11.2.1.2 and C.11.2.1.3 define them, or a VOI LUT texture) → presentation (inverse when
 * MONOCHROME1, Presentation LUT Shape INVERSE and the user's invert say so). Palette colour looks its
 * indices up in an RGBA16UI table; colour is shown as it is (inverted when asked).
 */

export interface ShaderVariant {
  sampler: "signed" | "unsigned" | "color";
  modalityLut: boolean;
  voiLut: boolean;
  palette: boolean;
}

export const VERTEX_SHADER = `#version 300 es
in vec2 aCorner;
uniform vec2 uSize;
uniform mat3 uImageToClip;
out vec2 vImage;
void main() {
  vImage = aCorner * uSize;
  vec3 clip = uImageToClip * vec3(vImage, 1.0);
  gl_Position = vec4(clip.xy, 0.0, 1.0);
}
`;

/** Entries of a LUT texture per row (LUTs longer than this wrap onto further rows). */
export const LUT_ROW = 4096;

export function fragmentShader(v: ShaderVariant): string {
  const sampler = v.sampler === "color" ? "sampler2D" : v.sampler === "signed" ? "isampler2D" : "usampler2D";
  return `#version 300 es
precision highp float;
precision highp int;
precision highp sampler2D;
precision highp isampler2D;
precision highp usampler2D;
#define MODALITY_LUT ${v.modalityLut ? 1 : 0}
#define VOI_LUT ${v.voiLut ? 1 : 0}
#define PALETTE ${v.palette ? 1 : 0}
#define COLOR ${v.sampler === "color" ? 1 : 0}
in vec2 vImage;
out vec4 outColor;
uniform ${sampler} uImage;
uniform ivec2 uPixels;
uniform bool uBilinear;
uniform bool uInvert;
uniform float uSlope;
uniform float uIntercept;
uniform int uVoiFunction;
uniform float uCenter;
uniform float uWidth;
uniform highp usampler2D uModalityLut;
uniform int uModalityFirst;
uniform int uModalityCount;
uniform highp usampler2D uVoiLut;
uniform int uVoiFirst;
uniform int uVoiCount;
uniform float uVoiMax;
uniform highp usampler2D uPalette;
uniform int uPaletteFirst;
uniform int uPaletteCount;
uniform float uPaletteMax;

ivec2 lutAt(int i) { return ivec2(i % ${LUT_ROW}, i / ${LUT_ROW}); }

#if COLOR == 0
float storedAt(ivec2 p) { return float(texelFetch(uImage, p, 0).r); }
#endif

float voi(float x) {
  if (uVoiFunction == 1) {
    if (x <= uCenter - uWidth / 2.0) return 0.0;
    if (x > uCenter + uWidth / 2.0) return 1.0;
    return (x - uCenter) / uWidth + 0.5;
  }
  if (uVoiFunction == 2) return 1.0 / (1.0 + exp(-4.0 * (x - uCenter) / uWidth));
#if VOI_LUT
  if (uVoiFunction == 3) {
    int i = clamp(int(round(x)) - uVoiFirst, 0, uVoiCount - 1);
    return float(texelFetch(uVoiLut, lutAt(i), 0).r) / uVoiMax;
  }
#endif
  if (x <= uCenter - 0.5 - (uWidth - 1.0) / 2.0) return 0.0;
  if (x > uCenter - 0.5 + (uWidth - 1.0) / 2.0) return 1.0;
  return (x - (uCenter - 0.5)) / (uWidth - 1.0) + 0.5;
}

vec3 shade(ivec2 p) {
#if COLOR
  return texelFetch(uImage, p, 0).rgb;
#elif PALETTE
  int i = clamp(int(storedAt(p)) - uPaletteFirst, 0, uPaletteCount - 1);
  return vec3(texelFetch(uPalette, lutAt(i), 0).rgb) / uPaletteMax;
#else
#if MODALITY_LUT
  int i = clamp(int(storedAt(p)) - uModalityFirst, 0, uModalityCount - 1);
  float m = float(texelFetch(uModalityLut, lutAt(i), 0).r);
#else
  float m = storedAt(p) * uSlope + uIntercept;
#endif
  return vec3(voi(m));
#endif
}

void main() {
  ivec2 last = uPixels - 1;
  vec3 c;
  if (uBilinear) {
    vec2 q = vImage - 0.5;
    vec2 f = fract(q);
    ivec2 p0 = ivec2(floor(q));
    ivec2 a = clamp(p0, ivec2(0), last);
    ivec2 b = clamp(p0 + 1, ivec2(0), last);
    c = mix(mix(shade(a), shade(ivec2(b.x, a.y)), f.x), mix(shade(ivec2(a.x, b.y)), shade(b), f.x), f.y);
  } else {
    c = shade(clamp(ivec2(floor(vImage)), ivec2(0), last));
  }
  if (uInvert) c = 1.0 - c;
  outColor = vec4(c, 1.0);
}
`;
}
