package main

import (
	"errors"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/sprawlsec/sprawl/reports"
	"github.com/sprawlsec/sprawl/scanner/image"
)

func newScanImageCmd() *cobra.Command {
	c := &cobra.Command{
		Use:   "image REF|ARCHIVE.tar|OCI-DIR",
		Short: "Scan a container image: every layer's files and its configuration",
		Long: `Scan a container image for secrets: every file of every layer, and the
image configuration's environment, command, entrypoint, labels and history
(the created_by lines, where build arguments leak).

The image is a registry reference (registry.example.com/team/app:1.4 or
…@sha256:…), a docker-archive tarball (docker save) or an OCI image layout
directory. Registry credentials come from the Docker configuration
($DOCKER_CONFIG/config.json and its credential helpers, as docker login
writes them); pull access is all sprawl needs.

Layers are streamed, never extracted to disk. Files a later layer deleted
or replaced are scanned too, since anyone who pulls the image can read
them; their findings say "not in the final image". Locations read
image:REF@DIGEST/layer/N/PATH (N from 0, the base layer) and
image:REF@DIGEST/config/env/NAME, …/config/cmd, …/config/label/KEY,
…/config/history/N.

A multi-platform index is scanned for one platform: --platform, else the
only one it has, else linux/amd64.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			platform, _ := cmd.Flags().GetString("platform")
			if platform != "" {
				if err := image.CheckPlatform(platform); err != nil {
					return usageErr("--platform %s: %v", platform, err)
				}
			}
			s, err := loadSettings(cmd, "")
			if err != nil {
				return err
			}
			p, err := newScanRun(s)
			if err != nil {
				return err
			}
			src, err := image.Open(cmd.Context(), args[0], image.Options{
				Platform: platform, Exclude: p.Engine.ExcludePath, MaxFileSize: s.maxFileSize,
			})
			if err != nil {
				msg := fmt.Errorf("scan image: %s", reports.Printable(err.Error()))
				if errors.Is(err, image.ErrReference) {
					return usageErr("%v", msg)
				}
				return failure(msg)
			}
			return p.scanAndReport(cmd, src)
		},
	}
	addScanFlags(c)
	c.Flags().String("platform", "", "platform of a multi-platform image to scan, os/arch[/variant] (default: the only one, else linux/amd64)")
	return c
}
