package drivers

import (
	"net/http"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/asicmetrics/telegraf-asic/pkg/drivers/jsonval"
)

func TestRegisterIdentification(t *testing.T) {
	match := func(*Evidence) Confidence { return NoMatch }
	RegisterIdentification("test-ident", Identification{Match: match})
	t.Cleanup(func() { mu.Lock(); delete(idents, "test-ident"); mu.Unlock() })
	require.Contains(t, Identifications(), "test-ident")
	require.Panics(t, func() { RegisterIdentification("test-ident", Identification{Match: match}) }, "twice")
	require.Panics(t, func() { RegisterIdentification("test-ident-2", Identification{}) }, "no Match")
	require.False(t, Registered("test-ident"), "an identification is not a driver")
}

func TestEvidence(t *testing.T) {
	e := NewEvidence()
	require.False(t, e.VersionOK())
	require.False(t, e.RootOpen())
	e.Add(Root, Reply{Status: 401, Header: http.Header{"Www-Authenticate": {`Digest realm="antMiner Configuration", nonce="1"`}}})
	require.True(t, e.RealmSays("antminer"))
	require.False(t, e.RealmSays("daoge"))
	require.False(t, e.RootOpen(), "a 401 root: its other endpoints need credentials too")

	obj, err := jsonval.DecodeObj([]byte(`{"VERSION":[{"Type":" Antminer S9 "}]}`))
	require.NoError(t, err)
	e.Add(Version, Reply{Body: []byte(`{"VERSION":[{"Type":" Antminer S9 "}]}`), Obj: obj, OK: true})
	require.True(t, e.VersionOK())
	require.True(t, e.RPCSays("ANTMINER"))
	require.False(t, e.RPCSays("VNISH"))
	require.Equal(t, "Antminer S9", e.RPCModel())

	refused := NewEvidence()
	refused.Add(Version, Reply{Body: []byte(`{"STATUS":[{"STATUS":"E","Msg":"Invalid command","Description":"btminer"}]}`), OK: false})
	require.False(t, refused.VersionOK())
	require.True(t, VersionFailed(refused))
	require.True(t, refused.RPCSays("BTMINER"), "a refusal still names the program")

	require.True(t, Unsettled(refused))
	refused.Guess = "antminer"
	require.False(t, Unsettled(refused))
	require.True(t, UnsettledOr("antminer")(refused))
	require.False(t, UnsettledOr("avalon")(refused))
	require.False(t, All(VersionFailed, Unsettled)(refused))
}
