/* SPDX-License-Identifier: MIT */
/*
 * The raspberrypi4 boards: a Raspberry Pi 4 (4x Cortex-A72) as an example
 * real configuration, in two variants because a board has one sensor:
 *
 * - raspberrypi4: an ADS1115 ADC on I2C through the kernel's ti-ads1015
 *   IIO driver (IIO name "ads1115"), its four single-ended inputs
 *   in millivolts at 100 Hz - the fast, real-time stream;
 * - raspberrypi4-thermal: the SoC's thermal zone in degrees Celsius at
 *   10 Hz - a slow stream that would only add a slow sysfs read to every
 *   ADC period if it shared that task.
 *
 * - raspberrypi4-spi-adc: a TI ADS7953 (12-bit, 16 inputs, SPI) through
 *   the kernel's ti-ads7950 IIO driver in buffered mode: eight inputs
 *   in millivolts at 1 kHz, scans triggered by a software hrtimer and
 *   read whole from /dev/iio:deviceN - the device paces the task. An
 *   example, not tested on hardware (README.md).
 *
 * All keep CPU 3 for the sensor tasks (the ADC one at the higher
 * SCHED_FIFO priority) and CPU 2 for the loggers, leaving CPUs 0-1 to
 * Linux. Run each with its own --name. README.md says how to enable the
 * ADC and isolate the CPUs.
 */
#include "../bsp_internal.h"

const shmseq_board shmseq__board_raspberrypi4 = {
    .name = "raspberrypi4",
    .description = "Raspberry Pi 4: ADS1115 ADC (IIO) 4 channels in mV at "
                   "100 Hz, SCHED_FIFO 80 on CPU 3, logger on CPU 2",
    .sensor = "iio",
    .sensor_params = "device=ads1115,"
                     "channels=in_voltage0:in_voltage1:in_voltage2:"
                     "in_voltage3",
    .width = 4,
    .rate_hz = 100,
    .capacity = 1024,
    .writer_cpu = 3,
    .writer_priority = 80,
    .logger_cpu = 2,
    .logger_priority = 0,
    .lock_memory = 1,
};

const shmseq_board shmseq__board_raspberrypi4_spi_adc = {
    .name = "raspberrypi4-spi-adc",
    .description = "Raspberry Pi 4: ADS7953 SPI ADC (IIO, buffered, "
                   "hrtimer trigger) 8 channels in mV at 1 kHz, SCHED_FIFO "
                   "80 on CPU 3, logger on CPU 2 (untested on hardware)",
    .sensor = "iio",
    .sensor_params = "mode=buffered,device=ads7953,"
                     "channels=in_voltage0:in_voltage1:in_voltage2:"
                     "in_voltage3:in_voltage4:in_voltage5:in_voltage6:"
                     "in_voltage7,hrtimer=shmseq-adc,length=4096,"
                     "watermark=8",
    .width = 8,
    .rate_hz = 1000,
    .capacity = 8192,
    .writer_cpu = 3,
    .writer_priority = 80,
    .logger_cpu = 2,
    .logger_priority = 0,
    .lock_memory = 1,
};

const shmseq_board shmseq__board_raspberrypi4_thermal = {
    .name = "raspberrypi4-thermal",
    .description = "Raspberry Pi 4: SoC temperature (thermal_zone0) in "
                   "degrees C at 10 Hz, SCHED_FIFO 70 on CPU 3",
    .sensor = "thermal",
    .sensor_params = "zones=thermal_zone0",
    .width = 1,
    .rate_hz = 10,
    .capacity = 256,
    .writer_cpu = 3,
    .writer_priority = 70,
    .logger_cpu = 2,
    .logger_priority = 0,
    .lock_memory = 1,
};
