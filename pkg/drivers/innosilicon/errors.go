package innosilicon

import (
	"strconv"

	"github.com/asicmetrics/telegraf-asic/pkg/drivers"
)

// errorText explains getErrorDetail's codes (our wording of the codes the
// stock web UI shows).
var errorText = map[int64]string{
	21: "hashboard PLUG signal fault",
	22: "power supply I2C communication fault",
	23: "SPI: no chain responds",
	24: "SPI: some chains do not respond",
	25: "chip frequency could not be set",
	26: "hashboard voltage could not be set",
	27: "chip self-test (BIST) failed",
	28: "SPI communication fault",
	29: "power supply I2C communication fault",
	30: "cannot connect to the pool",
	31: "damaged chips on a hashboard",
	32: "over temperature",
	33: "hashboard fault",
	34: "hashboard cables connected in the wrong order",
	35: "a hashboard gets no power",
	36: "hashboard fault",
	37: "hashboards of different types installed",
	40: "power supply output abnormal",
	41: "power supply output abnormal",
	42: "hashboard fault",
}

// minerError turns a getErrorDetail code into a MinerError.
func minerError(code int64) drivers.MinerError {
	msg, ok := errorText[code]
	if !ok {
		msg = "unknown error code " + strconv.FormatInt(code, 10)
	}
	return drivers.MinerError{Code: strconv.FormatInt(code, 10), Message: msg}
}
