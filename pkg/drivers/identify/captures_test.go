package identify

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/asicmetrics/telegraf-asic/internal/capserve"
	"github.com/asicmetrics/telegraf-asic/pkg/drivers"
)

const captureRoot = "../../../testdata"

// apiOnly is what each capture folder's APIs alone (web port refused, the
// RPC port pointed at the firmware's cgminer API) identify as. "" marks
// captures that hold none of the replies identification reads (the
// identity lives in version/devdetails/stats, or in web pages only): the
// real miner would answer them, the capture just did not record them.
var apiOnly = map[string]string{
	"antminer/D3_Blissz2.06_20180105":               "antminer", // stats only: STATS[0].Type "Antminer D3 Blissz v2.06 beta"
	"antminer/E3_20180704":                          "antminer", // stats only
	"antminer/Z11_9.0.0.5_20190312":                 "antminer", // version Type "Antminer Z11"
	"antminer/L3Plus_1.0.1.3_20170825":              "antminer", // version Type "Antminer L3+"
	"antminer/L3Plus_1.0.1.4_20190710":              "antminer", // stats only: "Antminer L3+" in STATS[0].Type
	"antminer/S17Plus_35.0.1.3_20200602_sleeping":   "antminer",
	"antminer/S17Pro_19.10.1.3_20190820":            "antminer",
	"antminer/S19NoPIC_mskminer_2.6.0.39":           "antminer", // "rwglr", no "hiveon": MSKMiner stays antminer
	"antminer/S19Pro_49.0.1.3":                      "antminer",
	"antminer/S19Pro_49.0.1.3_20201021_cold":        "antminer",
	"antminer/S19Pro_49.0.1.3_20201026_overheating": "antminer",
	"antminer/S19Pro_49.0.1.3_20201211_overheating": "antminer", // stats
	"antminer/S19_49.0.1.3_20201211_sleeping":       "antminer",
	"antminer/S23Hyd_AML_20260626":                  "antminer", // stats
	"antminer/S21_20240711_rpc":                     "antminer", // version Type "Antminer S21"
	"antminer/S21_20240711_web":                     "",         // web pages only
	"bitaxe/NerdQAxePlusPlus_v1.1.0-beta1":          "",         // web API only
	"antminer/S9_30.0.1.3_20190731":                 "antminer",
	"antminer/S9_asicseer_20191111":                 "antminer", // version Type "Antminer S9", BMMiner "2.4.0-asicseer-1.1.9-f7b7"
	"antminer/S9k_13.10.1.3_20190929":               "antminer",
	"antminer/T17Plus_b023.0.1.3_20200602_sleeping": "antminer",
	"auradine/at1500_fluxos":                        "auradine", // version "GCMiner-0.5"
	"avalon/1566_fw24102401":                        "avalon",
	"avalon/A1246_21072802_4ec6bb0":                 "avalon", // stats "MM ID"
	"avalon/Avalon1047_19120401_d46bc64_0367a8b":    "avalon",
	"avalon/Avalon1047_20051101_85dc6f0_0332654":    "avalon",
	"avalon/Avalon7xx_7411706-3162860":              "avalon",
	"avalon/Avalon8xx_8411803-14b0f10":              "avalon",
	"avalon/Avalon9xx_9211809-b4b3d00":              "avalon",
	"avalon/AvalonNano3_24071801_42c628d":           "avalon",
	"avalon/AvalonQ_25052801_14a19a2":               "avalon",
	"bitaxe/LuckyMinerLV07_1.1.0":                   "", // web API only
	"bitaxe/Supra401_v2.4.5":                        "", // web API only
	"bitaxe/Supra_asic-only":                        "",
	"braiins/S9_bOS_am1-s9-20181127-0_c34516b0":     "braiins", // version "bOS_am1-s9", Type "braiins-am1-s9"
	"braiins/S9_bosminer-0.2.0-d360818":             "braiins",
	"braiins/S9_bosminer-plus-0.2.0-36c56a9363":     "braiins",
	"braiins/S9_bosminer-plus-0.2.0-ea64aec8e_docs": "braiins", // devdetails
	"braiins/S9_bosminer-plus-0.4.0-908ca41d":       "braiins", // devs, asked when version fails, names BOSminer
	"braiins/S21Pro_bos-26.04_rest":                 "",        // REST on the web port only: no gRPC or 4028 reply captured
	"braiins/S19XP_bos-25.11_rest":                  "",
	"braiins/S19XP_bos-25.07_rest":                  "",
	"elphapex/DG1Plus_1.0.2":                        "",          // web only
	"epic/S19XP_PowerPlay-BMS1.5.13":                "epic",      // /capabilities on the RPC port
	"epic/BlockMiner_Sia_epic-miner2.0.6":           "epic",      // /summary on the RPC port (no /capabilities)
	"goldshell/sc5proii_2.2.0":                      "goldshell", // summary/devs STATUS "intminer 5.4.2"
	"goldshell/sclite_2.2.0":                        "goldshell",
	"hammer/D10_2023-05-28":                         "hammer", // version Type "Hammer D10" on 8359
	"hiveon/S9_Hiveon_30.0.1.3_rwglr_20191120":      "hiveon",
	"innosilicon/a11_a10-1.1.0_handmade":            "", // version "cgminer a10-1.1.0": no innominer marker; /api/type needs a login
	"innosilicon/a11mx_issue211":                    "", // web only
	"innosilicon/T1_dragonmint_2018":                "", // web /api/summary only
	"iceriver/KS5L_ICM168_3_2_10":                   "",
	"luxos/S19kPro_2025.4.8.220305":                 "luxos",
	"luxos/unknown_2025.9.8.152528-e04420b4b":       "", // events only
	"marathon/KS5Pro_rel3.14_584":                   "", // web only
	"marathon/KS5Pro_rel3.14_584_sleep":             "",
	"sealminer/A2_2025091001":                       "sealminer", // every 4028 reply says "bdminer 4.11.1"
	"vnish/S21Pro_1.2.7":                            "vnish",     // version invalid, stats Type "(Vnish 1.2.7)"
	"vnish/S9_vnish3.8.6_26.0.1.3":                  "vnish",
	"whatsminer/M20SV10_20210322.22.REL":            "whatsminer", // summary "Fan Speed In"/"Fan Speed Out" (or btminer)
	"whatsminer/M20S_20200917.22.REL":               "whatsminer", // summary "Fan Speed In"/"Fan Speed Out" (or btminer)
	"whatsminer/M20S_cgminer4.9.2_2019":             "whatsminer", // summary "Fan Speed In"/"Fan Speed Out" (or btminer)
	"whatsminer/M31S_20200512.13.REL":               "whatsminer", // summary "Fan Speed In"/"Fan Speed Out" (or btminer)
	"whatsminer/M31S_20201202.22.REL":               "whatsminer", // summary "Fan Speed In"/"Fan Speed Out" (or btminer)
	"whatsminer/M31S_20210109.22.REL":               "whatsminer", // summary "Fan Speed In"/"Fan Speed Out" (or btminer)
	"whatsminer/M3_cgminer4.9.2_2018":               "whatsminer", // summary "Fan Speed In"/"Fan Speed Out" (or btminer)
	"whatsminer/M60S_v3_20251209.16.Rel2":           "whatsminer", // API v3 get.device.info
}

// wantIdentity is the make and model (canonical) identification must
// report for some captures, read by hand from the replies it sees.
var wantIdentity = map[string][3]string{ // make, model, firmware tag
	"antminer/S19Pro_49.0.1.3":                      {"Antminer", "S19 Pro", "stock"},       // version Type "Antminer S19 Pro"
	"antminer/L3Plus_1.0.1.3_20170825":              {"Antminer", "L3+", "stock"},           // Type "Antminer L3+"
	"antminer/S19NoPIC_mskminer_2.6.0.39":           {"Antminer", "S19 No PIC", "mskminer"}, // Type "S19-88 v.2.6.0.39 " (-88: no PIC, named as the antminer driver does), BMMiner "4.11.1 rwglr"
	"hiveon/S9_Hiveon_30.0.1.3_rwglr_20191120":      {"Antminer", "S9", "hiveon"},           // Type "Antminer S9 Hiveon"
	"vnish/S9_vnish3.8.6_26.0.1.3":                  {"Antminer", "S9", "vnish"},            // Type "Antminer S9 (vnish 3.8.6)"
	"luxos/S19kPro_2025.4.8.220305":                 {"Antminer", "S19k Pro", "luxos"},      // Type "Antminer S19k Pro"
	"braiins/S9_bosminer-plus-0.2.0-ea64aec8e_docs": {"Antminer", "S9", "braiins"},          // devdetails Model "Bitmain Antminer S9"
	"braiins/S21Pro_bos-26.04_rest":                 {"Antminer", "", "braiins"},            // the root page's title "Braiins OS" alone; the model comes with the gather
	"avalon/1566_fw24102401":                        {"AvalonMiner", "1566", "stock"},       // PROD "AvalonMiner 15-194"
	"avalon/AvalonQ_25052801_14a19a2":               {"AvalonMiner", "Q Home", "stock"},     // PROD "Avalon Q"
	"whatsminer/M60S_v3_20251209.16.Rel2":           {"Whatsminer", "M60S VK40", "stock"},   // msg.miner.type "M60S_VK40"
	"epic/S19XP_PowerPlay-BMS1.5.13":                {"Antminer", "S19 XP", "epic"},         // capabilities Model "AntMiner S19 XP"
	"hammer/D10_2023-05-28":                         {"Hammer", "D10", "stock"},             // version Type "Hammer D10"
	"sealminer/A2_2025091001":                       {"SealMiner", "", "stock"},             // version "BDMiner"; the model is in stats only
}

func TestIdentifyEveryCapture(t *testing.T) {
	fams, err := os.ReadDir(captureRoot)
	require.NoError(t, err)
	seen := 0
	for _, fam := range fams {
		if !fam.IsDir() {
			continue
		}
		want := fam.Name()
		if _, err := drivers.New(want); err != nil {
			// Captures collected for a family no driver reads yet
			// (testdata/FAMILIES.md): nothing to identify.
			continue
		}
		require.Contains(t, capserve.FamilyRoot, want, "family %s has no root page in the fakes", want)
		models, err := os.ReadDir(filepath.Join(captureRoot, fam.Name()))
		require.NoError(t, err)
		for _, m := range models {
			if !m.IsDir() {
				continue
			}
			key := fam.Name() + "/" + m.Name()
			c := capserve.Load(t, filepath.Join(captureRoot, key))
			seen++
			t.Run(key+"/full", func(t *testing.T) {
				f := capserve.Start(t, c, capserve.FullSpec(fam.Name(), c))
				r, err := IdentifyMiner(testCtx(t), f.Target, f.V3Port)
				require.NoError(t, err)
				require.Equal(t, want, r.Driver)
				if idn, ok := wantIdentity[key]; ok {
					require.Equal(t, idn[2], r.Firmware, "firmware tag")
				}
			})
			wantAPI, listed := apiOnly[key]
			require.True(t, listed, "capture %s: say in apiOnly what its APIs alone identify", key)
			t.Run(key+"/api-only", func(t *testing.T) {
				s := capserve.Spec{RPC: len(c.RPC) > 0 && fam.Name() != "epic", EPIC: fam.Name() == "epic", V3: c.V3 != nil}
				f := capserve.Start(t, c, s)
				r, err := IdentifyMiner(testCtx(t), f.Target, f.V3Port)
				if why, gap := knownGaps[key]; gap {
					t.Skip(why)
				}
				if wantAPI == "" {
					require.Error(t, err)
					// Something answered: unsupported; nothing serves: every
					// port refused.
					want := drivers.ResultConnectionRefused
					if s.RPC || s.EPIC || s.V3 {
						want = drivers.ResultUnsupported
					}
					require.Equal(t, want, drivers.Result(err), "%v", err)
					return
				}
				require.NoError(t, err)
				require.Equal(t, wantAPI, r.Driver)
				if idn, ok := wantIdentity[key]; ok {
					require.Equal(t, Result{Driver: wantAPI, Make: idn[0], Model: idn[1], Firmware: idn[2]}, r)
				}
			})
		}
	}
	require.Len(t, apiOnly, seen, "apiOnly lists a folder that no longer exists")
}

// webOnly is what each folder holding web pages identifies as when its web
// server answers the root with an unfamiliar page and serves the captured
// pages, the RPC port refused. "" marks folders whose pages need a login
// or sit behind a realm: honestly unsupported.
var webOnly = map[string]string{
	"bitaxe/LuckyMinerLV07_1.1.0":          "bitaxe",    // /api/system/info
	"bitaxe/Supra401_v2.4.5":               "bitaxe",    // /api/system/info ASICModel, boardVersion
	"bitaxe/Supra_asic-only":               "",          // /api/system/asic only: no identity of its own
	"vnish/S21Pro_1.2.7":                   "vnish",     // /api/v1/info fw_name "Vnish"
	"goldshell/sc5proii_2.2.0":             "goldshell", // /mcb/status model and firmware
	"goldshell/sclite_2.2.0":               "goldshell",
	"marathon/KS5Pro_rel3.14_584":          "", // /kaonsu is asked behind Bitmain's or MaraFW's realm only
	"marathon/KS5Pro_rel3.14_584_sleep":    "",
	"antminer/S23Hyd_AML_20260626":         "",
	"antminer/S21_20240711_web":            "",       // behind Bitmain's Digest realm
	"bitaxe/NerdQAxePlusPlus_v1.1.0-beta1": "bitaxe", // /api/system/info deviceModel, ASICModel
	"auradine/at1500_fluxos":               "",       // its API is on 8080 with a token
	"elphapex/DG1Plus_1.0.2":               "",       // behind the Daoge realm
	"epic/S19XP_PowerPlay-BMS1.5.13":       "",       // its API is on the RPC port
	"epic/BlockMiner_Sia_epic-miner2.0.6":  "",
	"hammer/D10_2023-05-28":                "",
	"iceriver/KS5L_ICM168_3_2_10":          "",
	"innosilicon/a11_a10-1.1.0_handmade":   "",
	"innosilicon/a11mx_issue211":           "",
	"innosilicon/T1_dragonmint_2018":       "",
	"sealminer/A2_2025091001":              "", // its pages need a session from login.php
	"braiins/S21Pro_bos-26.04_rest":        "", // identification asks none of its /api/v1 pages (on a unit they need the REST login)
	"braiins/S19XP_bos-25.11_rest":         "",
	"braiins/S19XP_bos-25.07_rest":         "",
}

func TestIdentifyWebEndpointsBehindAnUnfamiliarPage(t *testing.T) {
	seen := 0
	fams, _ := os.ReadDir(captureRoot)
	for _, fam := range fams {
		if !drivers.Registered(fam.Name()) {
			continue // captures of a family no driver reads yet
		}
		dirs, _ := os.ReadDir(filepath.Join(captureRoot, fam.Name()))
		for _, d := range dirs {
			if !d.IsDir() {
				continue
			}
			key := fam.Name() + "/" + d.Name()
			c := capserve.Load(t, filepath.Join(captureRoot, key))
			if len(c.Web) == 0 {
				continue
			}
			seen++
			want, listed := webOnly[key]
			require.True(t, listed, "capture %s: say in webOnly what its pages alone identify", key)
			t.Run(key, func(t *testing.T) {
				f := capserve.Start(t, c, capserve.Spec{Root: &capserve.RootPlain, WebPages: true})
				r, err := IdentifyMiner(testCtx(t), f.Target, f.V3Port)
				if want == "" {
					require.Equal(t, drivers.ResultUnsupported, drivers.Result(err), "%v", err)
					require.Contains(t, err.Error(), `GET /: HTTP 200 "<html><head><title>index</title></head></html>"`)
					return
				}
				require.NoError(t, err)
				require.Equal(t, want, r.Driver)
				for _, p := range f.WebReqs.List() {
					require.Equal(t, 1, count(f.WebReqs.List(), p), "%s asked twice", p)
				}
			})
		}
	}
	require.Len(t, webOnly, seen)
}

// ePIC with /capabilities gone still answers /summary.
func TestEPICBySummary(t *testing.T) {
	c := capserve.Load(t, capDir("epic/S19XP_PowerPlay-BMS1.5.13"))
	delete(c.Web, "capabilities")
	f := capserve.Start(t, c, capserve.Spec{EPIC: true})
	r, err := IdentifyMiner(testCtx(t), f.Target, f.V3Port)
	require.NoError(t, err)
	require.Equal(t, Result{Driver: "epic", Firmware: "epic"}, r, "no model without /capabilities")
	require.Equal(t, []string{"/capabilities", "/summary"}, f.RPCHTTP.List())
}

// Every family all.go registers has its place in the one priority list;
// "*" is for families added later.
func TestPriorityNamesEveryFamily(t *testing.T) {
	named := map[string]bool{}
	for _, n := range priority {
		named[n] = true
	}
	for name := range drivers.Identifications() {
		if name == "toyfirmware" {
			continue // the test-only family, placed by "*"
		}
		require.True(t, named[name], "family %s is not in identify's priority", name)
		require.True(t, drivers.Registered(name), "family %s identifies but has no driver", name)
	}
	for _, n := range drivers.Names() {
		_, ok := drivers.Identifications()[n]
		require.True(t, ok || n == "test-panic", "driver %s registers no identification", n)
	}
}

func count(l []string, s string) int {
	n := 0
	for _, x := range l {
		if x == s {
			n++
		}
	}
	return n
}

// knownGaps are api-only cases whose outcome is a known defect, not yet
// fixed: skipped (and so visible) rather than asserted either way.
var knownGaps = map[string]string{}

func testCtx(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	t.Cleanup(cancel)
	return ctx
}
