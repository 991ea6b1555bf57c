// The microphone, camera and speaker of a call (CH9): what the engine can do, opening the
// devices with errors that say what to do, the device lists for the pickers, and the speaker
// (setSinkId where the engine has it).

import { mediaErrorKey } from "./call_model.js";

/**
 * What this engine can do for calls. The desktop app's web engine may lack WebRTC or the
 * camera; the page then says so (and the app may open the call in the system browser).
 * @returns {{webrtc: boolean, media: boolean, secure: boolean, speaker: boolean, ok: boolean}}
 */
export function callSupport() {
  const webrtc = typeof window.RTCPeerConnection === "function";
  const media = typeof navigator.mediaDevices?.getUserMedia === "function";
  const secure = window.isSecureContext === true;
  const speaker = typeof HTMLMediaElement !== "undefined" && "setSinkId" in HTMLMediaElement.prototype;
  return { webrtc, media, secure, speaker, ok: webrtc && media && secure };
}

/** An error with a `key` the call strings explain (call.error.<key>). */
export class CallMediaError extends Error {
  constructor(key, cause) {
    super(`call media: ${key}${cause?.message ? ` (${cause.message})` : ""}`);
    this.name = "CallMediaError";
    this.key = key;
  }
}

/**
 * Open the microphone (and the camera for a video call).
 * A video call whose camera is missing or busy goes on with the microphone only: the result
 * says `cameraProblem` then, so the page can tell the user.
 * @param {"audio"|"video"} media
 * @param {{audioId?: string, videoId?: string}} [devices] chosen in the pickers
 * @returns {Promise<{stream: MediaStream, cameraProblem: string|null}>}
 * @throws {CallMediaError} the microphone cannot be used
 */
export async function openMedia(media, devices = {}) {
  const support = callSupport();
  if (!support.secure) {
    throw new CallMediaError("insecure");
  }
  if (!support.webrtc || !support.media) {
    throw new CallMediaError("unsupported");
  }
  const audio = devices.audioId ? { deviceId: { exact: devices.audioId } } : true;
  if (media === "video") {
    try {
      const stream = await navigator.mediaDevices.getUserMedia({ audio, video: videoConstraints(devices.videoId) });
      return { stream, cameraProblem: null };
    } catch (error) {
      const key = mediaErrorKey(error);
      if (key === "permission_denied") {
        throw new CallMediaError(key, error);
      }
      // No camera, or a busy one: try the microphone alone.
      const { stream } = await openMedia("audio", devices);
      return { stream, cameraProblem: key };
    }
  }
  try {
    const stream = await navigator.mediaDevices.getUserMedia({ audio });
    return { stream, cameraProblem: null };
  } catch (error) {
    throw new CallMediaError(mediaErrorKey(error), error);
  }
}

/** The camera alone (turning it back on, or another camera). */
export async function openCamera(videoId) {
  try {
    const stream = await navigator.mediaDevices.getUserMedia({ video: videoConstraints(videoId) });
    return stream.getVideoTracks()[0];
  } catch (error) {
    throw new CallMediaError(mediaErrorKey(error), error);
  }
}

/** The microphone alone (another microphone). */
export async function openMicrophone(audioId) {
  try {
    const audio = audioId ? { deviceId: { exact: audioId } } : true;
    const stream = await navigator.mediaDevices.getUserMedia({ audio });
    return stream.getAudioTracks()[0];
  } catch (error) {
    throw new CallMediaError(mediaErrorKey(error), error);
  }
}

function videoConstraints(videoId) {
  const video = { width: { ideal: 640 }, height: { ideal: 360 }, frameRate: { ideal: 24 } };
  if (videoId) {
    video.deviceId = { exact: videoId };
  }
  return video;
}

/**
 * The devices for the pickers (labels appear once a device has been opened).
 * @returns {Promise<{audioinput: MediaDeviceInfo[], videoinput: MediaDeviceInfo[], audiooutput: MediaDeviceInfo[]}>}
 */
export async function listDevices() {
  const lists = { audioinput: [], videoinput: [], audiooutput: [] };
  try {
    for (const device of await navigator.mediaDevices.enumerateDevices()) {
      lists[device.kind]?.push(device);
    }
  } catch {
    // No device list: the pickers stay empty and the defaults are used.
  }
  return lists;
}

/** Play a media element on the chosen speaker, where the engine can (setSinkId). */
export async function useSpeaker(mediaElement, deviceId) {
  if (!deviceId || typeof mediaElement.setSinkId !== "function") {
    return false;
  }
  try {
    await mediaElement.setSinkId(deviceId);
    return true;
  } catch {
    return false;
  }
}
