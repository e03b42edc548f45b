/* SPDX-License-Identifier: MIT */
/*
 * The Windows backend: WASAPI loopback capture of the default render
 * endpoint (what the desktop plays), shared mode, in the endpoint's mix
 * format, converted to 48 kHz float stereo by audio-conv.c (float or
 * 16-bit samples, any channel count, 8-384 kHz; anything else is
 * refused with OP_ERR_UNSUPPORTED). With audio_target.device, the
 * active capture endpoint of that friendly name or id is recorded
 * instead (no loopback flag): how the tests capture under wine, whose
 * loopback Initialize succeeds but GetService(IAudioCaptureClient) then
 * fails with AUDCLNT_E_WRONG_ENDPOINT_TYPE, while it lists the sound
 * server's monitors as ordinary capture endpoints.
 *
 * Like the pulse backend, each audio_start runs a thread that owns every
 * COM object (an MTA of its own), drains the capture client every 10 ms
 * (polled: loopback clients get no event while nothing plays), gates
 * 20 ms frames into the audio's ring and wakes the loop with
 * uv_async_send. audio_stop raises the stop event and joins: the thread
 * is in a 10 ms wait, a non-blocking WASAPI call or opening the endpoint
 * (Activate, Initialize: milliseconds on wine; a stuck driver on real
 * Windows would hold the loop, which pulse's detached runs avoid).
 *
 * Errors: no endpoint, or one that went away (the default device
 * changed, AUDCLNT_E_DEVICE_INVALIDATED) end this stream with
 * OP_ERR_NOT_FOUND, a refused format or endpoint with
 * OP_ERR_UNSUPPORTED (a later audio_start tries again); the audio
 * service stopping (AUDCLNT_E_SERVICE_NOT_RUNNING) is final, OP_ERR_GONE.
 */
#define COBJMACROS
#include <initguid.h>

#include "audio/audio-internal.h"

#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include <windows.h>
#include <audioclient.h>
#include <functiondiscoverykeys_devpkey.h>
#include <ksmedia.h>
#include <mmdeviceapi.h>
#include <propidl.h>

#include "core/err.h"
#include "core/log.h"

#define POLL_MS 10
/* The shared-mode buffer asked for: room for POLL_MS many times over. */
#define BUFFER_HNS (100 * 10000)

struct wasapi_backend {
	struct audio *a;
	uv_async_t async;
	wchar_t *device;        /* NULL: loopback of the default render */
	HANDLE stop_ev;
	pthread_t thread;
	bool thread_live;       /* started, not joined */
	atomic_bool exited;
	atomic_int error;
	struct audio_feeder feed;
	uint64_t frames_done, silent_done;
	/* The thread's, for the log: packets flagged silent, and gaps
	 * (discontinuity flags: the engine lost data). */
	unsigned long silent_packets, gaps;
	bool woke;              /* a frame queued since the last wake-up */
	struct audio_conv conv; /* the thread's */
	float out[AUDIO_FRAME_FLOATS];
};

static int
hr_status(HRESULT hr)
{
	switch (hr) {
	case AUDCLNT_E_SERVICE_NOT_RUNNING:
		return OP_ERR_GONE;
	case AUDCLNT_E_UNSUPPORTED_FORMAT:
	case AUDCLNT_E_WRONG_ENDPOINT_TYPE:
	case AUDCLNT_E_EXCLUSIVE_MODE_ONLY:
		return OP_ERR_UNSUPPORTED;
	default:
		return OP_ERR_NOT_FOUND;
	}
}

/* KSDATAFORMAT_SUBTYPE_IEEE_FLOAT and _PCM: mingw's ksmedia.h declares
 * them extern only (libksguid), so here they are. */
static const GUID subtype_float = { 0x00000003, 0x0000, 0x0010,
	{ 0x80, 0x00, 0x00, 0xaa, 0x00, 0x38, 0x9b, 0x71 } };
static const GUID subtype_pcm = { 0x00000001, 0x0000, 0x0010,
	{ 0x80, 0x00, 0x00, 0xaa, 0x00, 0x38, 0x9b, 0x71 } };

/* The mix format as ours to convert, or OP_ERR_UNSUPPORTED. */
static int
mix_format(const WAVEFORMATEX *wf, struct audio_conv *c)
{
	WORD tag = wf->wFormatTag;
	enum audio_sample_fmt fmt = 0;

	if (tag == WAVE_FORMAT_EXTENSIBLE) {
		const WAVEFORMATEXTENSIBLE *x = (const WAVEFORMATEXTENSIBLE *)wf;

		if (wf->cbSize < sizeof(*x) - sizeof(*wf))
			return OP_ERR_UNSUPPORTED;
		if (IsEqualGUID(&x->SubFormat, &subtype_float))
			tag = WAVE_FORMAT_IEEE_FLOAT;
		else if (IsEqualGUID(&x->SubFormat, &subtype_pcm))
			tag = WAVE_FORMAT_PCM;
		else
			return OP_ERR_UNSUPPORTED;
	}
	if (tag == WAVE_FORMAT_IEEE_FLOAT && wf->wBitsPerSample == 32)
		fmt = AUDIO_FMT_F32;
	else if (tag == WAVE_FORMAT_PCM && wf->wBitsPerSample == 16)
		fmt = AUDIO_FMT_S16;
	else
		return OP_ERR_UNSUPPORTED;
	if (audio__conv_init(c, fmt, wf->nChannels,
		    (unsigned)wf->nSamplesPerSec) != 0)
		return OP_ERR_UNSUPPORTED;
	/* Packets are read as whole frames of this size. */
	if (wf->nBlockAlign != audio__conv_bytes_per_frame(c))
		return OP_ERR_UNSUPPORTED;
	return 0;
}

static void
feed_silence(struct wasapi_backend *b, size_t frames)
{
	/* Frames at the device rate, as many at ours. */
	size_t n = (size_t)((uint64_t)frames * AUDIO_SAMPLE_RATE /
		b->conv.rate);

	memset(b->out, 0, sizeof(b->out));
	b->conv.prev[0] = b->conv.prev[1] = 0.0f;
	while (n > 0) {
		size_t take = n < AUDIO_FRAME_SAMPLES ? n : AUDIO_FRAME_SAMPLES;

		b->woke |= audio__feeder_push(&b->feed, b->out, 2 * take);
		n -= take;
	}
}

static void
feed(struct wasapi_backend *b, const BYTE *data, size_t frames)
{
	size_t bpf = audio__conv_bytes_per_frame(&b->conv);

	while (frames > 0) {
		size_t used = 0;
		size_t n = audio__conv_run(&b->conv, data, frames, b->out,
			AUDIO_FRAME_SAMPLES, &used);

		b->woke |= audio__feeder_push(&b->feed, b->out, 2 * n);
		data += used * bpf;
		frames -= used;
	}
}

/* Drains what the capture client holds; 0 or an HRESULT. */
static HRESULT
drain(struct wasapi_backend *b, IAudioCaptureClient *cc)
{
	UINT32 pk = 0;
	HRESULT hr;

	while ((hr = IAudioCaptureClient_GetNextPacketSize(cc, &pk)) == S_OK &&
		pk > 0 && !atomic_load(&b->feed.stop)) {
		BYTE *data = NULL;
		UINT32 n = 0;
		DWORD flags = 0;

		hr = IAudioCaptureClient_GetBuffer(cc, &data, &n, &flags, NULL,
			NULL);
		if (FAILED(hr))
			return hr;
		if (hr == AUDCLNT_S_BUFFER_EMPTY)
			return S_OK;
		if (flags & AUDCLNT_BUFFERFLAGS_DATA_DISCONTINUITY)
			b->gaps++;
		if (flags & AUDCLNT_BUFFERFLAGS_SILENT) {
			b->silent_packets++;
			feed_silence(b, n);
		} else {
			feed(b, data, n);
		}
		if (FAILED(hr = IAudioCaptureClient_ReleaseBuffer(cc, n)))
			return hr;
	}
	return FAILED(hr) ? hr : S_OK;
}

/* Whether endpoint dev is called name: its id or its friendly name
 * ("Monitor of Built-in Audio", "Stereo Mix (Realtek Audio)"). */
static bool
device_named(IMMDevice *dev, const wchar_t *name)
{
	IPropertyStore *ps = NULL;
	PROPVARIANT pv;
	wchar_t *id = NULL;
	bool same = false;

	if (SUCCEEDED(IMMDevice_GetId(dev, &id)) && id != NULL)
		same = wcscmp(id, name) == 0;
	CoTaskMemFree(id);
	if (same || FAILED(IMMDevice_OpenPropertyStore(dev, STGM_READ, &ps)))
		return same;
	PropVariantInit(&pv);
	if (SUCCEEDED(IPropertyStore_GetValue(ps, &PKEY_Device_FriendlyName,
		    &pv)) && pv.vt == VT_LPWSTR && pv.pwszVal != NULL)
		same = wcscmp(pv.pwszVal, name) == 0;
	PropVariantClear(&pv);
	IPropertyStore_Release(ps);
	return same;
}

/* The first active capture endpoint called name. */
static HRESULT
find_capture(IMMDeviceEnumerator *en, const wchar_t *name, IMMDevice **dev)
{
	IMMDeviceCollection *all = NULL;
	UINT n = 0;
	HRESULT hr = IMMDeviceEnumerator_EnumAudioEndpoints(en, eCapture,
		DEVICE_STATE_ACTIVE, &all);

	if (FAILED(hr))
		return hr;
	if (FAILED(hr = IMMDeviceCollection_GetCount(all, &n)))
		n = 0;
	for (UINT i = 0; i < n && *dev == NULL; i++) {
		IMMDevice *d = NULL;

		if (FAILED(IMMDeviceCollection_Item(all, i, &d)))
			continue;
		if (device_named(d, name))
			*dev = d;
		else
			IMMDevice_Release(d);
	}
	IMMDeviceCollection_Release(all);
	if (FAILED(hr))
		return hr;
	return *dev != NULL ? S_OK : HRESULT_FROM_WIN32(ERROR_NOT_FOUND);
}

static HRESULT
open_device(struct wasapi_backend *b, IMMDevice **dev)
{
	IMMDeviceEnumerator *en = NULL;
	HRESULT hr = CoCreateInstance(&CLSID_MMDeviceEnumerator, NULL,
		CLSCTX_ALL, &IID_IMMDeviceEnumerator, (void **)&en);

	if (FAILED(hr))
		return hr;
	*dev = NULL;
	if (b->device != NULL)
		hr = find_capture(en, b->device, dev);
	else
		hr = IMMDeviceEnumerator_GetDefaultAudioEndpoint(en, eRender,
			eConsole, dev);
	IMMDeviceEnumerator_Release(en);
	return hr;
}

static void
capture(struct wasapi_backend *b)
{
	IMMDevice *dev = NULL;
	IAudioClient *ac = NULL;
	IAudioCaptureClient *cc = NULL;
	WAVEFORMATEX *wf = NULL;
	DWORD flags = b->device == NULL ? AUDCLNT_STREAMFLAGS_LOOPBACK : 0;
	HRESULT hr;
	int r;

	if (FAILED(hr = open_device(b, &dev)) ||
		FAILED(hr = IMMDevice_Activate(dev, &IID_IAudioClient,
			CLSCTX_ALL, NULL, (void **)&ac)) ||
		FAILED(hr = IAudioClient_GetMixFormat(ac, &wf)))
		goto out;
	if ((r = mix_format(wf, &b->conv)) != 0) {
		log_warn("audio: WASAPI mix format refused (tag %u, %u bits, "
			"%u channels, %lu Hz)", wf->wFormatTag,
			wf->wBitsPerSample, wf->nChannels, wf->nSamplesPerSec);
		atomic_store(&b->error, r);
		goto done;
	}
	log_info("audio: WASAPI %s, %u channels, %lu Hz, %u-bit %s",
		b->device != NULL ? "capture endpoint" : "loopback",
		wf->nChannels, wf->nSamplesPerSec, wf->wBitsPerSample,
		b->conv.fmt == AUDIO_FMT_F32 ? "float" : "integer");
	if (FAILED(hr = IAudioClient_Initialize(ac, AUDCLNT_SHAREMODE_SHARED,
		    flags, BUFFER_HNS, 0, wf, NULL)) ||
		FAILED(hr = IAudioClient_GetService(ac,
			&IID_IAudioCaptureClient, (void **)&cc)) ||
		FAILED(hr = IAudioClient_Start(ac)))
		goto out;
	while (!atomic_load(&b->feed.stop)) {
		b->woke = false;
		if (FAILED(hr = drain(b, cc)))
			break;
		if (b->woke)
			uv_async_send(&b->async);
		WaitForSingleObject(b->stop_ev, POLL_MS);
	}
	IAudioClient_Stop(ac);
	log_info("audio: WASAPI capture ended: %llu frames, %lu packets "
		"flagged silent, %lu discontinuities",
		(unsigned long long)b->feed.gate.frames, b->silent_packets,
		b->gaps);
out:
	if (FAILED(hr)) {
		log_warn("audio: WASAPI capture: 0x%08lx", (unsigned long)hr);
		atomic_store(&b->error, hr_status(hr));
	}
done:
	if (cc != NULL)
		IAudioCaptureClient_Release(cc);
	if (ac != NULL)
		IAudioClient_Release(ac);
	if (dev != NULL)
		IMMDevice_Release(dev);
	CoTaskMemFree(wf);
}

static void *
wasapi_thread(void *arg)
{
	struct wasapi_backend *b = arg;
	HRESULT hr = CoInitializeEx(NULL, COINIT_MULTITHREADED);

	if (FAILED(hr))
		atomic_store(&b->error, OP_ERR_GONE);
	else
		capture(b);
	if (SUCCEEDED(hr))
		CoUninitialize();
	atomic_store(&b->exited, true);
	uv_async_send(&b->async);
	return NULL;
}

/* Joins the thread once it has exited (or been told to) and takes its
 * verdict when it ended on its own. */
static void
reap(struct wasapi_backend *b, bool wait)
{
	int e;

	if (!b->thread_live || (!wait && !atomic_load(&b->exited)))
		return;
	pthread_join(b->thread, NULL);
	b->thread_live = false;
	b->frames_done += atomic_load(&b->feed.frames);
	b->silent_done += atomic_load(&b->feed.silent);
	atomic_store(&b->feed.frames, 0);
	atomic_store(&b->feed.silent, 0);
	e = atomic_load(&b->error);
	if (e == 0 || atomic_load(&b->feed.stop))
		return;
	if (e == OP_ERR_GONE)
		audio__fail(b->a, e);
	else
		audio__stream_fail(b->a, e);
}

static void
on_async(uv_async_t *h)
{
	struct wasapi_backend *b = h->data;

	reap(b, false);
	audio__flush(b->a);
}

static void
on_async_closed(uv_handle_t *h)
{
	struct wasapi_backend *b = h->data;
	struct audio *a = b->a;

	CloseHandle(b->stop_ev);
	free(b->device);
	free(b);
	audio__backend_closed(a);
}

static int
copy_device(const char *utf8, wchar_t **out)
{
	int n;

	*out = NULL;
	if (utf8 == NULL)
		return 0;
	n = MultiByteToWideChar(CP_UTF8, MB_ERR_INVALID_CHARS, utf8, -1,
		NULL, 0);
	if (n <= 0 || n > 1024)
		return OP_ERR_CONFIG;
	if ((*out = calloc((size_t)n, sizeof(wchar_t))) == NULL)
		return OP_ERR_NOMEM;
	MultiByteToWideChar(CP_UTF8, MB_ERR_INVALID_CHARS, utf8, -1, *out, n);
	return 0;
}

static int
wasapi_open(struct audio *a, const struct audio_target *t)
{
	struct wasapi_backend *b = calloc(1, sizeof(*b));
	int r;

	if (b == NULL)
		return OP_ERR_NOMEM;
	b->a = a;
	if ((r = copy_device(t->device, &b->device)) != 0)
		goto fail;
	if ((b->stop_ev = CreateEventW(NULL, TRUE, FALSE, NULL)) == NULL) {
		r = OP_ERR_INTERNAL;
		goto fail;
	}
	if ((r = uv_async_init(a->loop, &b->async, on_async)) != 0) {
		CloseHandle(b->stop_ev);
		goto fail;
	}
	b->async.data = b;
	a->backend = b;
	return 0;
fail:
	free(b->device);
	free(b);
	return r;
}

static int
wasapi_start(struct audio *a)
{
	struct wasapi_backend *b = a->backend;
	int r;

	reap(b, true);
	audio__feeder_reset(&b->feed, &a->ring);
	atomic_store(&b->exited, false);
	atomic_store(&b->error, 0);
	ResetEvent(b->stop_ev);
	b->silent_packets = b->gaps = 0;
	if ((r = pthread_create(&b->thread, NULL, wasapi_thread, b)) != 0)
		return -r;
	b->thread_live = true;
	return 0;
}

static void
wasapi_stop(struct audio *a)
{
	struct wasapi_backend *b = a->backend;

	atomic_store(&b->feed.stop, true);
	SetEvent(b->stop_ev);
	reap(b, true);
}

static void
wasapi_close(struct audio *a)
{
	struct wasapi_backend *b = a->backend;

	wasapi_stop(a);
	uv_close((uv_handle_t *)&b->async, on_async_closed);
}

static void
wasapi_stats(const struct audio *a, struct audio_stats *out)
{
	const struct wasapi_backend *b = a->backend;

	out->frames = b->frames_done + atomic_load(&b->feed.frames);
	out->silent = b->silent_done + atomic_load(&b->feed.silent);
}

const struct audio_ops audio__wasapi_ops = {
	.name = "wasapi",
	.threaded = true,
	.open = wasapi_open,
	.start = wasapi_start,
	.stop = wasapi_stop,
	.close = wasapi_close,
	.stats = wasapi_stats,
};
