/**
 * The WebGL2 image renderer: a frame uploaded once as an integer texture in its native type (R8UI/R8I,
 * R16UI/R16I, R32UI/R32I; RGB8 for colour), lookup tables as R16UI/RGBA16UI textures, and the pipeline in
 * the fragment shader (shaders.ts). Sampling: nearest when an image pixel covers at least one device pixel
 * (crisp, every stored value shown as it is); a bilinear blend of the four neighbours, each through the
 * whole pipeline, when the image is shown smaller.
 */
import type { Lut, ResolvedLuts } from "../imaging/luts";
import type { DecodedFrame } from "../imaging/pixels";
import type { Voi } from "../viewer-contract";
import { LUT_ROW, type ShaderVariant, VERTEX_SHADER, fragmentShader } from "./shaders";

export interface DrawParameters {
  /** Column-major 3×3: image pixel coordinates → clip space. */
  imageToClip: Float32Array;
  bilinear: boolean;
  rescale: { slope: number; intercept: number };
  voi: Voi;
  /** A VOI LUT in use instead of the window. */
  voiLut?: Lut;
  /** MONOCHROME1, Presentation LUT Shape INVERSE and the user's invert, combined. */
  invert: boolean;
}

interface Program {
  program: WebGLProgram;
  uniforms: Map<string, WebGLUniformLocation>;
}

interface TextureFormat {
  internal: number;
  format: number;
  type: number;
  sampler: ShaderVariant["sampler"];
}

const VOI_FUNCTIONS: Record<Voi["fn"], number> = { LINEAR: 0, LINEAR_EXACT: 1, SIGMOID: 2 };

export class WebGlUnavailable extends Error {}

export class ImageRenderer {
  readonly gl: WebGL2RenderingContext;
  readonly #programs = new Map<string, Program>();
  readonly #quad: WebGLBuffer;
  readonly #vao: WebGLVertexArrayObject;
  #image: WebGLTexture | undefined;
  #imageKey = "";
  #format: TextureFormat | undefined;
  #frame: DecodedFrame | undefined;
  #luts: ResolvedLuts | undefined;
  readonly #lutTextures = new Map<Lut | ResolvedLuts["palette"], { texture: WebGLTexture; bytes: number }>();
  #textureBytes = 0;

  constructor(canvas: HTMLCanvasElement) {
    const gl = canvas.getContext("webgl2", {
      alpha: false,
      antialias: false,
      depth: false,
      stencil: false,
      premultipliedAlpha: false,
      preserveDrawingBuffer: false,
      powerPreference: "high-performance",
    });
    if (!gl) throw new WebGlUnavailable("WebGL2 is not available: images cannot be displayed");
    this.gl = gl;
    this.#quad = gl.createBuffer();
    gl.bindBuffer(gl.ARRAY_BUFFER, this.#quad);
    gl.bufferData(gl.ARRAY_BUFFER, new Float32Array([0, 0, 1, 0, 0, 1, 1, 1]), gl.STATIC_DRAW);
    this.#vao = gl.createVertexArray();
    gl.pixelStorei(gl.UNPACK_ALIGNMENT, 1);
  }

  /** Bytes of the textures held on the GPU (image and lookup tables): an estimate of GPU memory. */
  get textureBytes(): number {
    let total = this.#textureBytes;
    for (const { bytes } of this.#lutTextures.values()) total += bytes;
    return total;
  }

  get frame(): DecodedFrame | undefined {
    return this.#frame;
  }

  /** Uploads a frame (and its lookup tables) unless it is the one already on the GPU. */
  setImage(frame: DecodedFrame, luts: ResolvedLuts): void {
    const gl = this.gl;
    this.#luts = luts;
    if (frame === this.#frame) return;
    gl.activeTexture(gl.TEXTURE0);
    const format = formatOf(gl, frame);
    const key = `${format.internal}:${frame.columns}x${frame.rows}`;
    if (!this.#image || key !== this.#imageKey) {
      if (this.#image) gl.deleteTexture(this.#image);
      this.#image = gl.createTexture();
      gl.bindTexture(gl.TEXTURE_2D, this.#image);
      gl.texStorage2D(gl.TEXTURE_2D, 1, format.internal, frame.columns, frame.rows);
      setNearest(gl);
      this.#imageKey = key;
      this.#textureBytes = frame.pixels.byteLength;
    } else gl.bindTexture(gl.TEXTURE_2D, this.#image);
    gl.texSubImage2D(
      gl.TEXTURE_2D,
      0,
      0,
      0,
      frame.columns,
      frame.rows,
      format.format,
      format.type,
      frame.pixels,
    );
    this.#format = format;
    this.#frame = frame;
  }

  /** Forgets the frame (the next draw clears). */
  clearImage(): void {
    this.#frame = undefined;
  }

  draw(width: number, height: number, parameters: DrawParameters): void {
    const gl = this.gl;
    gl.viewport(0, 0, width, height);
    gl.clearColor(0, 0, 0, 1);
    gl.clear(gl.COLOR_BUFFER_BIT);
    const frame = this.#frame;
    const format = this.#format;
    const luts = this.#luts;
    if (!frame || !format || !this.#image || !luts) return;
    const palette = frame.kind === "gray" && luts.palette ? luts.palette : undefined;
    const modalityLut = !palette && frame.kind === "gray" ? luts.modality : undefined;
    const voiLut = !palette && frame.kind === "gray" ? parameters.voiLut : undefined;
    const variant: ShaderVariant = {
      sampler: format.sampler,
      modalityLut: !!modalityLut,
      voiLut: !!voiLut,
      palette: !!palette,
    };
    const { program, uniforms } = this.#program(variant);
    gl.useProgram(program);
    const u = (name: string) => uniforms.get(name) ?? null;
    gl.activeTexture(gl.TEXTURE0);
    gl.bindTexture(gl.TEXTURE_2D, this.#image);
    gl.uniform1i(u("uImage"), 0);
    if (modalityLut) {
      this.#bindLut(1, modalityLut, () => lutTexture(gl, [modalityLut.data]));
      gl.uniform1i(u("uModalityLut"), 1);
      gl.uniform1i(u("uModalityFirst"), modalityLut.firstMapped);
      gl.uniform1i(u("uModalityCount"), modalityLut.data.length);
    }
    if (voiLut) {
      this.#bindLut(2, voiLut, () => lutTexture(gl, [voiLut.data]));
      gl.uniform1i(u("uVoiLut"), 2);
      gl.uniform1i(u("uVoiFirst"), voiLut.firstMapped);
      gl.uniform1i(u("uVoiCount"), voiLut.data.length);
      gl.uniform1f(u("uVoiMax"), 2 ** voiLut.bits - 1);
    }
    if (palette) {
      this.#bindLut(3, palette, () =>
        lutTexture(gl, [palette.red.data, palette.green.data, palette.blue.data]),
      );
      gl.uniform1i(u("uPalette"), 3);
      gl.uniform1i(u("uPaletteFirst"), palette.red.firstMapped);
      gl.uniform1i(
        u("uPaletteCount"),
        Math.max(palette.red.data.length, palette.green.data.length, palette.blue.data.length),
      );
      gl.uniform1f(u("uPaletteMax"), 2 ** palette.red.bits - 1);
    }
    gl.uniform2i(u("uPixels"), frame.columns, frame.rows);
    gl.uniform2f(u("uSize"), frame.columns, frame.rows);
    gl.uniformMatrix3fv(u("uImageToClip"), false, parameters.imageToClip);
    gl.uniform1i(u("uBilinear"), parameters.bilinear ? 1 : 0);
    gl.uniform1i(u("uInvert"), parameters.invert ? 1 : 0);
    gl.uniform1f(u("uSlope"), parameters.rescale.slope);
    gl.uniform1f(u("uIntercept"), parameters.rescale.intercept);
    gl.uniform1i(u("uVoiFunction"), voiLut ? 3 : VOI_FUNCTIONS[parameters.voi.fn]);
    gl.uniform1f(u("uCenter"), parameters.voi.center);
    gl.uniform1f(u("uWidth"), parameters.voi.width);
    gl.bindVertexArray(this.#vao);
    gl.bindBuffer(gl.ARRAY_BUFFER, this.#quad);
    const corner = gl.getAttribLocation(program, "aCorner");
    gl.enableVertexAttribArray(corner);
    gl.vertexAttribPointer(corner, 2, gl.FLOAT, false, 0, 0);
    gl.drawArrays(gl.TRIANGLE_STRIP, 0, 4);
  }

  /** The drawing buffer as RGBA rows, top row first (read right after draw(), in the same task). */
  readPixels(width: number, height: number): Uint8Array {
    const gl = this.gl;
    const raw = new Uint8Array(width * height * 4);
    gl.readPixels(0, 0, width, height, gl.RGBA, gl.UNSIGNED_BYTE, raw);
    const out = new Uint8Array(raw.length);
    const stride = width * 4;
    for (let y = 0; y < height; y++)
      out.set(raw.subarray((height - 1 - y) * stride, (height - y) * stride), y * stride);
    return out;
  }

  destroy(): void {
    const gl = this.gl;
    if (this.#image) gl.deleteTexture(this.#image);
    for (const { texture } of this.#lutTextures.values()) gl.deleteTexture(texture);
    for (const { program } of this.#programs.values()) gl.deleteProgram(program);
    gl.deleteBuffer(this.#quad);
    gl.deleteVertexArray(this.#vao);
    this.#lutTextures.clear();
    this.#programs.clear();
    gl.getExtension("WEBGL_lose_context")?.loseContext();
  }

  #bindLut(
    unit: number,
    key: Lut | NonNullable<ResolvedLuts["palette"]>,
    make: () => { texture: WebGLTexture; bytes: number },
  ) {
    const gl = this.gl;
    // Switch units first: making a texture binds it to the active unit, which must not be the image's.
    gl.activeTexture(gl.TEXTURE0 + unit);
    let entry = this.#lutTextures.get(key);
    if (!entry) {
      if (this.#lutTextures.size > 16) {
        for (const { texture } of this.#lutTextures.values()) gl.deleteTexture(texture);
        this.#lutTextures.clear();
      }
      entry = make();
      this.#lutTextures.set(key, entry);
    }
    gl.bindTexture(gl.TEXTURE_2D, entry.texture);
  }

  #program(variant: ShaderVariant): Program {
    const key = JSON.stringify(variant);
    let found = this.#programs.get(key);
    if (found) return found;
    const gl = this.gl;
    const program = gl.createProgram();
    const compile = (type: number, source: string) => {
      const shader = gl.createShader(type)!;
      gl.shaderSource(shader, source);
      gl.compileShader(shader);
      if (!gl.getShaderParameter(shader, gl.COMPILE_STATUS)) {
        throw new Error(`shader: ${gl.getShaderInfoLog(shader) ?? "does not compile"}`);
      }
      gl.attachShader(program, shader);
      return shader;
    };
    const vs = compile(gl.VERTEX_SHADER, VERTEX_SHADER);
    const fs = compile(gl.FRAGMENT_SHADER, fragmentShader(variant));
    gl.linkProgram(program);
    gl.deleteShader(vs);
    gl.deleteShader(fs);
    if (!gl.getProgramParameter(program, gl.LINK_STATUS)) {
      throw new Error(`shader program: ${gl.getProgramInfoLog(program) ?? "does not link"}`);
    }
    const uniforms = new Map<string, WebGLUniformLocation>();
    const count = gl.getProgramParameter(program, gl.ACTIVE_UNIFORMS) as number;
    for (let i = 0; i < count; i++) {
      const info = gl.getActiveUniform(program, i);
      const location = info && gl.getUniformLocation(program, info.name);
      if (info && location) uniforms.set(info.name, location);
    }
    found = { program, uniforms };
    this.#programs.set(key, found);
    return found;
  }
}

function setNearest(gl: WebGL2RenderingContext): void {
  gl.texParameteri(gl.TEXTURE_2D, gl.TEXTURE_MIN_FILTER, gl.NEAREST);
  gl.texParameteri(gl.TEXTURE_2D, gl.TEXTURE_MAG_FILTER, gl.NEAREST);
  gl.texParameteri(gl.TEXTURE_2D, gl.TEXTURE_WRAP_S, gl.CLAMP_TO_EDGE);
  gl.texParameteri(gl.TEXTURE_2D, gl.TEXTURE_WRAP_T, gl.CLAMP_TO_EDGE);
}

function formatOf(gl: WebGL2RenderingContext, frame: DecodedFrame): TextureFormat {
  const p = frame.pixels;
  if (frame.kind === "rgb")
    return { internal: gl.RGB8, format: gl.RGB, type: gl.UNSIGNED_BYTE, sampler: "color" };
  if (p instanceof Uint8Array)
    return { internal: gl.R8UI, format: gl.RED_INTEGER, type: gl.UNSIGNED_BYTE, sampler: "unsigned" };
  if (p instanceof Int8Array)
    return { internal: gl.R8I, format: gl.RED_INTEGER, type: gl.BYTE, sampler: "signed" };
  if (p instanceof Uint16Array)
    return { internal: gl.R16UI, format: gl.RED_INTEGER, type: gl.UNSIGNED_SHORT, sampler: "unsigned" };
  if (p instanceof Int16Array)
    return { internal: gl.R16I, format: gl.RED_INTEGER, type: gl.SHORT, sampler: "signed" };
  if (p instanceof Uint32Array)
    return { internal: gl.R32UI, format: gl.RED_INTEGER, type: gl.UNSIGNED_INT, sampler: "unsigned" };
  return { internal: gl.R32I, format: gl.RED_INTEGER, type: gl.INT, sampler: "signed" };
}

/** One or several tables (as channels) in an R16UI or RGBA16UI texture, LUT_ROW entries per row. */
function lutTexture(
  gl: WebGL2RenderingContext,
  tables: Uint16Array[],
): { texture: WebGLTexture; bytes: number } {
  const entries = Math.max(...tables.map((t) => t.length));
  const width = Math.min(entries, LUT_ROW);
  const height = Math.ceil(entries / LUT_ROW);
  const channels = tables.length === 1 ? 1 : 4;
  const data = new Uint16Array(width * height * channels);
  for (let i = 0; i < entries; i++) {
    for (const [c, table] of tables.entries()) data[i * channels + c] = table[Math.min(i, table.length - 1)]!;
  }
  const texture = gl.createTexture();
  gl.bindTexture(gl.TEXTURE_2D, texture);
  const internal = channels === 1 ? gl.R16UI : gl.RGBA16UI;
  gl.texStorage2D(gl.TEXTURE_2D, 1, internal, width, height);
  setNearest(gl);
  gl.texSubImage2D(
    gl.TEXTURE_2D,
    0,
    0,
    0,
    width,
    height,
    channels === 1 ? gl.RED_INTEGER : gl.RGBA_INTEGER,
    gl.UNSIGNED_SHORT,
    data,
  );
  return { texture, bytes: data.byteLength };
}
