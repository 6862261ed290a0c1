# raster.sh — `fusor info` end to end on the fixtures in tests/data/raster (values from their closed forms,
# see tests/data/raster/README.md), on shared/data when present, and on bad inputs (exit 1, clear message).
# Sourced by tests/cli_test.sh ($FUSOR, $TMP, expect, ok, bad).
RD=tests/data/raster
SHARED_DIR=${FUSOR_SHARED:-../shared}

expect info-help 0 "usage: fusor info FILE" -- "$FUSOR" info --help
expect info-no-args 2 "usage: fusor info" -- "$FUSOR" info
expect info-bad-option 2 "unknown option '--frob'" -- "$FUSOR" info --frob $RD/geo_u16.tif
# a format not built in answers "built without ..." (exit 1): its checks are skipped then
have_fmt() { ! "$FUSOR" info "$1" 2>&1 | grep -q "built without"; }
if have_fmt $RD/geo_u16.tif; then
expect info-geotiff-size 0 "size: +4 x 5 \(H x W\), 2 bands" -- "$FUSOR" info $RD/geo_u16.tif
expect info-geotiff-dtype-scale 0 "scale: +2047" -- "$FUSOR" info $RD/geo_u16.tif
expect info-geotiff-range 0 "range: +1 \.\. 1035" -- "$FUSOR" info $RD/geo_u16.tif
expect info-geotiff-crs 0 "crs: +EPSG:32633" -- "$FUSOR" info $RD/geo_u16.tif
expect info-geotiff-transform 0 "origin \(500000, 4600000\), pixel \(10, -10\)" -- "$FUSOR" info $RD/geo_u16.tif
expect info-geotiff-nodata 0 "nodata: +0" -- "$FUSOR" info $RD/geo_u16.tif
expect info-geotiff-band-desc 0 "band 2 +nir" -- "$FUSOR" info $RD/geo_u16.tif
expect info-geotiff-json 0 '"bands":2,"height":4,"width":5,"dtype":"u16","scale":2047,"min":1,"max":1035,"geotransform":\[500000,10,0,4600000,0,-10\]' -- "$FUSOR" info --json $RD/geo_u16.tif
expect info-geotiff-json-desc 0 '"nodata":0,"band_descriptions":\["red","nir"\]' -- "$FUSOR" info --json $RD/geo_u16.tif
else
  echo "skip cli: info on GeoTIFF (built without GDAL)"
fi
if have_fmt $RD/pc_small.h5; then
expect info-h5-list 0 "ms +2x2x3x3 +double" -- "$FUSOR" info $RD/pc_small.h5
expect info-h5-needs-key 0 "image: +none chosen .*pass a key" -- "$FUSOR" info $RD/pc_small.h5
expect info-h5-key-index 0 '"bands":2,"height":3,"width":3,"dtype":"f32","scale":1,"min":100,"max":118' -- "$FUSOR" info $RD/pc_small.h5 --key ms --index 1 --json
expect info-h5-missing-key 1 "no dataset 'lms'; the file holds ms, pan" -- "$FUSOR" info $RD/pc_small.h5 --key lms
expect info-h5-index-range 1 "index 2 out of range" -- "$FUSOR" info $RD/pc_small.h5 --key pan --index 2
else
  echo "skip cli: info on HDF5 (built without HDF5)"
fi
expect info-missing-file 1 "nope\.tif: cannot open: No such file or directory" -- "$FUSOR" info "$TMP/nope.tif"
printf 'not an image\n' > "$TMP/text.tif"
have_fmt $RD/geo_u16.tif && expect info-text-as-tif 1 "text\.tif: not a raster GDAL can read" -- "$FUSOR" info "$TMP/text.tif"
expect info-unknown-ext 1 "unknown image extension; expected one of .*\.mat" -- "$FUSOR" info "$TMP/text.xyz"

WV2=$SHARED_DIR/data/pansharpening/grip_imgWV2.mat
if [ -r "$WV2" ] && have_fmt "$WV2"; then
  expect info-mat-list 0 "I_MS +320x320x8 +uint16" -- "$FUSOR" info "$WV2"
  expect info-mat-key 0 "size: +320 x 320 \(H x W\), 8 bands" -- "$FUSOR" info "$WV2" --key I_MS
  expect info-mat-missing-var 1 "no variable 'sr'.*I_PAN \(1280x1280 uint16\)" -- "$FUSOR" info "$WV2" --key sr
else
  echo "skip cli: info on shared .mat ($WV2 absent or built without matio)"
fi
