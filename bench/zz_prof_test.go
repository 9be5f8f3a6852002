package bench

import "testing"

func TestZZProfTrain(t *testing.T) {
	r, err := MeasureTrain(32, 8, 12, "default", 2, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("%+v", *r)
}
