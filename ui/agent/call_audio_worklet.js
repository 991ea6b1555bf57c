// The call's sound for the recording (P9), on Web Audio's rendering thread: the mixed input
// (every source connected to this node is summed into one mono input) is handed to the page
// in blocks of BLOCK_SAMPLES, each with the context time of its first sample. Loaded by
// call_audio_tap.js with audioWorklet.addModule (a module from 'self': the CSP allows it).

const BLOCK_SAMPLES = 2400; // 50 ms at 48 kHz: 20 messages a second, not 375

class CallAudioTapProcessor extends AudioWorkletProcessor {
  constructor() {
    super();
    this.block = new Float32Array(BLOCK_SAMPLES);
    this.filled = 0;
    this.startTime = 0;
  }

  process(inputs) {
    const channel = inputs[0]?.[0];
    if (!channel) {
      return true; // no source connected right now: nothing to hand on
    }
    let offset = 0;
    while (offset < channel.length) {
      if (this.filled === 0) {
        // eslint-disable-next-line no-undef -- currentTime and sampleRate are the worklet scope's
        this.startTime = currentTime + offset / sampleRate;
      }
      const count = Math.min(channel.length - offset, BLOCK_SAMPLES - this.filled);
      this.block.set(channel.subarray(offset, offset + count), this.filled);
      this.filled += count;
      offset += count;
      if (this.filled === BLOCK_SAMPLES) {
        this.port.postMessage({ time: this.startTime, samples: this.block }, [this.block.buffer]);
        this.block = new Float32Array(BLOCK_SAMPLES);
        this.filled = 0;
      }
    }
    return true;
  }
}

registerProcessor("rs-call-audio-tap", CallAudioTapProcessor);
