// SPDX-License-Identifier: GPL-2.0-only
/*
 * Test fixture for iommu-review: an invented platform "gadget" engine written
 * against the series-v3 API, attaching its one device with the _shared call.
 */
#include <linux/iommu.h>
#include <linux/module.h>
#include <linux/platform_device.h>

struct gadget {
	struct iommu_domain *domain;
	struct device *dev;
};

static int gadget_probe(struct platform_device *pdev)
{
	struct gadget *g;
	int err;

	g = devm_kzalloc(&pdev->dev, sizeof(*g), GFP_KERNEL);
	if (!g)
		return -ENOMEM;
	g->dev = &pdev->dev;

	g->domain = iommu_paging_domain_alloc(&pdev->dev);
	if (IS_ERR(g->domain))
		return PTR_ERR(g->domain);

	err = iommu_attach_device_shared(g->domain, &pdev->dev);
	if (err) {
		iommu_domain_free(g->domain);
		return err;
	}
	platform_set_drvdata(pdev, g);
	return 0;
}

static void gadget_remove(struct platform_device *pdev)
{
	struct gadget *g = platform_get_drvdata(pdev);

	iommu_detach_device_shared(g->domain, &pdev->dev);
	iommu_domain_free(g->domain);
}

static struct platform_driver gadget_driver = {
	.driver = {
		.name = "gadget-engine",
	},
	.probe = gadget_probe,
	.remove = gadget_remove,
};
module_platform_driver(gadget_driver);
MODULE_LICENSE("GPL");
