// SPDX-License-Identifier: GPL-2.0
/*
 * shmseq_iio_test: a test fixture for shmseq's iio sensor driver, not part
 * of the library. It registers one IIO device, "shmseq-iio-test", whose
 * channels carry known waveforms of the scan number n, so that a checker
 * can recompute every value that reached a log:
 *
 *   index channel       type               raw(n)                   scale      offset
 *   0     in_voltage0   le:u32/32>>0       n mod 2^32               1          0
 *   1     in_voltage1   le:s12/16>>4       (37 n mod 4096) - 2048   0.5        100
 *   2     in_voltage2   be:u16/16>>0       1013 n mod 65536         0.25       -3
 *   3     in_temp0      le:s24/32>>8       (7919 n mod 2^24) - 2^23 0.001      0
 *   4     in_accel_x    be:s8/8>>0         (3 n mod 256) - 128      0.0390625  0
 *   5     timestamp     le:s64/64>>0       t0 + n * period
 *
 * The bits below a shifted value are filled with a pattern (0xa, 0x5a), so
 * a reader that forgets to shift or mask gets wrong values.
 *
 * Through sysfs, the k-th read of a channel's _raw returns raw(k): a reader
 * that reads every channel once per sample sees one n per sample. Through
 * the buffer, an hrtimer of the module's own (no trigger needed, as a
 * device with a hardware FIFO) runs at the module parameter "rate" while
 * the buffer is enabled and pushes scan n at t0 + n * period into the
 * kfifo, every period exactly once (late timer callbacks catch up). A scan
 * the kfifo has no room for is dropped and counted in the device attribute
 * "dropped"; its n is skipped, so the gap shows in the data too.
 */
#include <linux/atomic.h>
#include <linux/hrtimer.h>
#include <linux/iio/buffer.h>
#include <linux/iio/iio.h>
#include <linux/iio/kfifo_buf.h>
#include <linux/iio/sysfs.h>
#include <linux/ktime.h>
#include <linux/module.h>
#include <linux/platform_device.h>
#include <asm/unaligned.h>

static unsigned int rate = 1000;
module_param(rate, uint, 0444);
MODULE_PARM_DESC(rate, "buffered scans per second, 1..200000 (1000)");

#define NCHAN 5
#define MAX_CATCH_UP 4096

struct fixture {
	struct iio_dev *indio_dev;
	struct hrtimer timer;
	u64 period_ns;
	s64 t0;
	u64 n;			/* the next scan number */
	atomic64_t dropped;
	atomic64_t reads[NCHAN];
	/* one scan: at most 16 bytes of data, then the 8-byte timestamp */
	u8 scan[32] __aligned(8);
};

static s64 raw_of(int chan, u64 n)
{
	u32 k = (u32)n;

	switch (chan) {
	case 0: return k;
	case 1: return (s64)((k * 37u) & 0xfffu) - 2048;
	case 2: return (k * 1013u) & 0xffffu;
	case 3: return (s64)((k * 7919u) & 0xffffffu) - 0x800000;
	default: return (s64)((k * 3u) & 0xffu) - 128;
	}
}

#define CHAN(_type, _mod, _idx, _si, _sign, _real, _stor, _shift, _end, _mask) { \
	.type = (_type), .indexed = (_mod) == 0, .channel = (_idx),	\
	.modified = (_mod) != 0, .channel2 = (_mod),			\
	.info_mask_separate = BIT(IIO_CHAN_INFO_RAW) | (_mask),		\
	.info_mask_shared_by_all = BIT(IIO_CHAN_INFO_SAMP_FREQ),	\
	.scan_index = (_si),						\
	.scan_type = { .sign = (_sign), .realbits = (_real),		\
		       .storagebits = (_stor), .shift = (_shift),	\
		       .endianness = (_end) },				\
}

#define SO (BIT(IIO_CHAN_INFO_SCALE) | BIT(IIO_CHAN_INFO_OFFSET))
#define S BIT(IIO_CHAN_INFO_SCALE)

static const struct iio_chan_spec channels[] = {
	CHAN(IIO_VOLTAGE, 0, 0, 0, 'u', 32, 32, 0, IIO_LE, 0),
	CHAN(IIO_VOLTAGE, 0, 1, 1, 's', 12, 16, 4, IIO_LE, SO),
	CHAN(IIO_VOLTAGE, 0, 2, 2, 'u', 16, 16, 0, IIO_BE, SO),
	CHAN(IIO_TEMP, 0, 0, 3, 's', 24, 32, 8, IIO_LE, S),
	CHAN(IIO_ACCEL, IIO_MOD_X, 0, 4, 's', 8, 8, 0, IIO_BE, S),
	IIO_CHAN_SOFT_TIMESTAMP(5),
};

/* Store scan n's value of channel c at p, as its scan_type says. */
static void put_value(u8 *p, int c, u64 n)
{
	s64 raw = raw_of(c, n);

	switch (c) {
	case 0: put_unaligned_le32((u32)raw, p); break;
	case 1: put_unaligned_le16((u16)(((u32)raw << 4) | 0xa), p); break;
	case 2: put_unaligned_be16((u16)raw, p); break;
	case 3: put_unaligned_le32(((u32)raw << 8) | 0x5a, p); break;
	default: *p = (u8)raw; break;
	}
}

/* Pack the enabled channels as the IIO core lays a scan out: each element
 * aligned to its own storage size, in scan_index order. */
static void push_scan(struct fixture *f, u64 n)
{
	struct iio_dev *indio_dev = f->indio_dev;
	unsigned int off = 0, bytes;
	int c;

	memset(f->scan, 0, sizeof(f->scan));
	for_each_set_bit(c, indio_dev->active_scan_mask, indio_dev->masklength) {
		if (c >= NCHAN)
			break;
		bytes = channels[c].scan_type.storagebits / 8;
		off = ALIGN(off, bytes);
		put_value(f->scan + off, c, n);
		off += bytes;
	}
	if (iio_push_to_buffers_with_timestamp(indio_dev, f->scan,
					       f->t0 + (s64)(n * f->period_ns)))
		atomic64_inc(&f->dropped);
}

static enum hrtimer_restart tick(struct hrtimer *t)
{
	struct fixture *f = container_of(t, struct fixture, timer);
	u64 due = hrtimer_forward_now(t, ns_to_ktime(f->period_ns));
	u64 i;

	if (due > MAX_CATCH_UP) {
		/* Hopelessly late: count what is skipped as dropped. */
		atomic64_add(due - MAX_CATCH_UP, &f->dropped);
		f->n += due - MAX_CATCH_UP;
		due = MAX_CATCH_UP;
	}
	for (i = 0; i < due; i++)
		push_scan(f, f->n++);
	return HRTIMER_RESTART;
}

static int buffer_postenable(struct iio_dev *indio_dev)
{
	struct fixture *f = iio_priv(indio_dev);

	f->n = 0;
	f->t0 = iio_get_time_ns(indio_dev) + (s64)f->period_ns;
	hrtimer_start(&f->timer, ns_to_ktime(f->period_ns), HRTIMER_MODE_REL);
	return 0;
}

static int buffer_predisable(struct iio_dev *indio_dev)
{
	struct fixture *f = iio_priv(indio_dev);

	hrtimer_cancel(&f->timer);
	return 0;
}

static const struct iio_buffer_setup_ops buffer_ops = {
	.postenable = buffer_postenable,
	.predisable = buffer_predisable,
};

static int read_raw(struct iio_dev *indio_dev, struct iio_chan_spec const *ch,
		    int *val, int *val2, long mask)
{
	struct fixture *f = iio_priv(indio_dev);
	int c = ch->scan_index;

	switch (mask) {
	case IIO_CHAN_INFO_RAW:
		if (c < 0 || c >= NCHAN)
			return -EINVAL;
		*val = (int)raw_of(c, (u64)atomic64_fetch_inc(&f->reads[c]));
		return IIO_VAL_INT;
	case IIO_CHAN_INFO_SAMP_FREQ:
		*val = rate;
		return IIO_VAL_INT;
	case IIO_CHAN_INFO_OFFSET:
		*val = c == 1 ? 100 : c == 2 ? -3 : 0;
		return IIO_VAL_INT;
	case IIO_CHAN_INFO_SCALE:
		*val = 0;
		switch (c) {
		case 1: *val2 = 500000000; break;
		case 2: *val2 = 250000000; break;
		case 3: *val2 = 1000000; break;
		default: *val2 = 39062500; break;
		}
		return IIO_VAL_INT_PLUS_NANO;
	default:
		return -EINVAL;
	}
}

static ssize_t dropped_show(struct device *dev, struct device_attribute *attr,
			    char *buf)
{
	struct fixture *f = iio_priv(dev_to_iio_dev(dev));

	return sysfs_emit(buf, "%lld\n", (long long)atomic64_read(&f->dropped));
}
static DEVICE_ATTR_RO(dropped);

static struct attribute *fixture_attrs[] = {
	&dev_attr_dropped.attr,
	NULL,
};

static const struct attribute_group fixture_group = {
	.attrs = fixture_attrs,
};

static const struct iio_info fixture_info = {
	.read_raw = read_raw,
	.attrs = &fixture_group,
};

static struct platform_device *pdev;
static struct iio_dev *the_dev;
static struct iio_buffer *the_buffer;

static int __init fixture_init(void)
{
	struct fixture *f;
	int c, ret;

	if (rate < 1 || rate > 200000)
		return -EINVAL;
	pdev = platform_device_register_simple("shmseq-iio-test", -1, NULL, 0);
	if (IS_ERR(pdev))
		return PTR_ERR(pdev);
	the_dev = iio_device_alloc(&pdev->dev, sizeof(*f));
	if (!the_dev) {
		ret = -ENOMEM;
		goto err_pdev;
	}
	f = iio_priv(the_dev);
	f->indio_dev = the_dev;
	f->period_ns = div_u64(NSEC_PER_SEC, rate);
	atomic64_set(&f->dropped, 0);
	for (c = 0; c < NCHAN; c++)
		atomic64_set(&f->reads[c], 0);
	hrtimer_init(&f->timer, CLOCK_MONOTONIC, HRTIMER_MODE_REL);
	f->timer.function = tick;

	the_dev->name = "shmseq-iio-test";
	the_dev->info = &fixture_info;
	the_dev->channels = channels;
	the_dev->num_channels = ARRAY_SIZE(channels);
	the_dev->modes = INDIO_DIRECT_MODE | INDIO_BUFFER_SOFTWARE;
	the_dev->setup_ops = &buffer_ops;

	the_buffer = iio_kfifo_allocate();
	if (!the_buffer) {
		ret = -ENOMEM;
		goto err_dev;
	}
	ret = iio_device_attach_buffer(the_dev, the_buffer);
	if (ret)
		goto err_buf;
	ret = iio_device_register(the_dev);
	if (ret)
		goto err_buf;
	return 0;

err_buf:
	iio_kfifo_free(the_buffer);
err_dev:
	iio_device_free(the_dev);
err_pdev:
	platform_device_unregister(pdev);
	return ret;
}

static void __exit fixture_exit(void)
{
	iio_device_unregister(the_dev);
	iio_device_free(the_dev);
	iio_kfifo_free(the_buffer);
	platform_device_unregister(pdev);
}

module_init(fixture_init);
module_exit(fixture_exit);
MODULE_DESCRIPTION("shmseq test fixture: an IIO device of known waveforms");
MODULE_LICENSE("GPL");
