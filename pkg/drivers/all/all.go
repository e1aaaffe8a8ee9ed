// Package all registers every firmware family's driver; import it for its
// side effect.
package all

import (
	_ "github.com/asicmetrics/telegraf-asic/pkg/drivers/antminer"
	_ "github.com/asicmetrics/telegraf-asic/pkg/drivers/auradine"
	_ "github.com/asicmetrics/telegraf-asic/pkg/drivers/avalon"
	_ "github.com/asicmetrics/telegraf-asic/pkg/drivers/bitaxe"
	_ "github.com/asicmetrics/telegraf-asic/pkg/drivers/braiins"
	_ "github.com/asicmetrics/telegraf-asic/pkg/drivers/elphapex"
	_ "github.com/asicmetrics/telegraf-asic/pkg/drivers/epic"
	_ "github.com/asicmetrics/telegraf-asic/pkg/drivers/goldshell"
	_ "github.com/asicmetrics/telegraf-asic/pkg/drivers/hammer"
	_ "github.com/asicmetrics/telegraf-asic/pkg/drivers/hiveon"
	_ "github.com/asicmetrics/telegraf-asic/pkg/drivers/iceriver"
	_ "github.com/asicmetrics/telegraf-asic/pkg/drivers/innosilicon"
	_ "github.com/asicmetrics/telegraf-asic/pkg/drivers/luxos"
	_ "github.com/asicmetrics/telegraf-asic/pkg/drivers/marathon"
	_ "github.com/asicmetrics/telegraf-asic/pkg/drivers/sealminer"
	_ "github.com/asicmetrics/telegraf-asic/pkg/drivers/vnish"
	_ "github.com/asicmetrics/telegraf-asic/pkg/drivers/whatsminer"
)
